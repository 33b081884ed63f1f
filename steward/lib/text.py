"""Text normalisation shared by indexing and searching, so both sides fold alike."""

import re
import unicodedata

_WORD = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lower-case and strip diacritics: 'Èdè Yorùbá' -> 'ede yoruba'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The searchable words of `text`, folded; punctuation and quotes are dropped."""
    return _WORD.findall(fold(text))
