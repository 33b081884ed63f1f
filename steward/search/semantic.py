"""How close in meaning short texts are, for the discovery assistant's optional reranking.

`pip install steward[semantic]` brings the `wordllama` package, whose wheel ships a static
token-embedding model (l2_supercat, 256 dimensions, 16 MB, MIT): a text is the mean of its
tokens' vectors. Nothing is fetched at run time. Without the extra, `is_enabled()` is False
and the assistant ranks by full-text search and filters alone.

The model is read from the package's own files with `tokenizers` and `safetensors` rather
than through `WordLlama.load()`: that loader looks for the shipped tokenizer in a folder the
wheel does not have and then downloads it from the Hugging Face hub, and importing
`wordllama` also configures the root logger.

The model is loaded once per process, at first use (about 0.2 s, 33 MB of memory), and is
then shared by all threads. A model that fails to load is logged once and stays unavailable
until the process restarts.

STEWARD_ASSISTANT_SEMANTIC: "auto" (the default) uses the model when it is installed, "off"
never loads it.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    import numpy as np
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

DIMENSIONS = 256

# Only the start of a text is embedded: tokenizing dominates the cost, and a dataset's
# title and first lines say what it is about. 500 characters are about 100 tokens.
MAX_CHARS = 500

SETTING_VALUES = ("auto", "off")

# Paths inside the installed wordllama package (0.4.x).
_WEIGHTS = Path("weights") / "l2_supercat_256.safetensors"
_TOKENIZER = Path("tokenizers") / "l2_supercat_tokenizer_config.json"


class SemanticUnavailable(RuntimeError):
    """The model is not installed or cannot be loaded."""


def is_enabled() -> bool:
    """Whether the assistant should rerank by meaning: allowed by the setting and loadable."""
    return _setting() == "auto" and is_available()


def is_available() -> bool:
    """Whether the model is installed and loads (loading it now if it was not yet)."""
    try:
        _model()
    except SemanticUnavailable:
        return False
    return True


def embed(texts: list[str]) -> np.ndarray:
    """One float32 row of DIMENSIONS per text, of length 1, in the order given.

    A text without any token (empty or only spaces) gets a row of zeros, which is at
    similarity 0 to everything. Rows are unit vectors, so the cosine similarity of a query
    to stored rows is `rows @ embed([query])[0]`: callers may keep rows for texts that do
    not change. Raises SemanticUnavailable when the model cannot be loaded."""
    model = _model()
    import numpy as np

    vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
    if not texts:
        return vectors
    # Runs of spaces and line breaks would otherwise become tokens of their own.
    cleaned = [" ".join(text[:MAX_CHARS].split()) for text in texts]
    encodings = model.tokenizer.encode_batch_fast(cleaned, add_special_tokens=False)
    for row, encoding in enumerate(encodings):
        if encoding.ids:
            # The sum points the same way as the mean, and the row is normalized below.
            vectors[row] = model.vectors[encoding.ids].sum(axis=0)
    lengths = np.linalg.norm(vectors, axis=1, keepdims=True)
    np.divide(vectors, lengths, out=vectors, where=lengths > 0)
    return vectors


def similarities(query: str, texts: list[str]) -> list[float]:
    """The cosine similarity of `query` to each of `texts`, in [-1, 1] and in their order.

    0.0 for every text when the query has no token. Raises SemanticUnavailable when the
    model cannot be loaded."""
    if not texts:
        return []
    vectors = embed([query, *texts])
    import numpy as np

    scores = vectors[1:] @ vectors[0]
    # Rounding can carry a unit vector's dot product with itself just past 1.
    return np.clip(scores, -1.0, 1.0).tolist()


def _setting() -> str:
    value = getattr(settings, "STEWARD_ASSISTANT_SEMANTIC", "auto") if settings.configured else ""
    value = (value or "auto").strip().lower()
    if value not in SETTING_VALUES:
        raise ImproperlyConfigured(
            f"STEWARD_ASSISTANT_SEMANTIC must be one of {', '.join(SETTING_VALUES)}, not {value!r}."
        )
    return value


@dataclass(frozen=True)
class _Model:
    vectors: np.ndarray  # one row per token id
    tokenizer: Tokenizer


_lock = threading.Lock()
_loaded: _Model | None = None
_load_error: str | None = None


def _model() -> _Model:
    global _loaded, _load_error
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None and _load_error is None:
            try:
                _loaded = _load()
            # Whatever breaks (package missing, files moved, a corrupt file), the assistant
            # carries on without the model; the log says why.
            except Exception as error:
                _load_error = f"{type(error).__name__}: {error}"
                if isinstance(error, ImportError):
                    log.info("Semantic ranking is off: %s", _load_error)
                else:
                    log.warning("Semantic ranking is off: %s", _load_error, exc_info=True)
        if _loaded is None:
            raise SemanticUnavailable(_load_error)
        return _loaded


def _load() -> _Model:
    # find_spec locates the package without running its __init__ (see the module docstring).
    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the wordllama package is not installed (pip install steward[semantic])")
    import numpy as np
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    package = Path(next(iter(spec.submodule_search_locations)))
    vectors = np.asarray(load_file(package / _WEIGHTS)["embedding.weight"], dtype=np.float32)
    tokenizer = Tokenizer.from_file(str(package / _TOKENIZER))
    if vectors.shape != (tokenizer.get_vocab_size(), DIMENSIONS):
        raise ValueError(f"unexpected embedding matrix of shape {vectors.shape}")
    return _Model(vectors=vectors, tokenizer=tokenizer)
