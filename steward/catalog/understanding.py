"""What a person asks for, read from their own words: languages, places, tasks and the
constraints on use, price, format and size.

Languages are found by any of their names (English, CLDR's names in several languages, the
autonym, ISO 639's name), their codes and BCP-47 tags; places by country and region names
(CLDR, in several languages) and the adjectives made from them ("Nigerian"), and a place
stands for the languages spoken there (languages.py). Tasks and constraints come from the
phrase lists below, in English, French, Spanish, Portuguese, German, Swahili and Arabic.

No database here: the catalogue's own languages are passed in where they matter, so the
same reading serves the catalogue search and the discovery assistant.
"""

import re
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

import langcodes
import pycountry

from steward.lib.text import fold

from .languages import InvalidLocale, normalize_locale, regions

# The languages whose names for languages, countries and tasks are understood.
NAME_LANGUAGES = ("en", "fr", "es", "pt", "de", "sw", "ar")


# Words that are never a language, a code or a place on their own, however a language or
# code list spells them: the function words of the languages above and the words of queries.
def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


STOPWORDS = _word_set(
    """
    a about above after again against all also am an and any are as at be been being below
    between both but by can could data dataset datasets did do does doing down during each
    else even every few find for from further get give got had has have having he her here
    hers him his how i if in into is it its just language languages let like list look
    looking many may me mine more most much must my need needs new no nor not now of off on
    once one only or other our out over own please same see set she show should so some such
    than that the their them then there these they this those through to too under until up
    us use used using very want was way we were what when where which while who why will with
    without would yes yet you your any bit car day hat ban run war man men use top big low
    per via old end lot job law map pay put red sea sun tax ten try win ok okay hi hello
    le la les un une des du de et ou en au aux pour par sur avec sans dans est sont je tu il
    elle nous vous ils qui que quoi mon ma mes son sa ses ce cet cette ces pas plus
    el los las unos unas y o con sin para por es son yo mi mis su sus del al que como
    o os as um uma e em no na nos nas com sem para por eu meu minha
    der die das ein eine und oder mit ohne fur von zu im ist sind ich wir sie es
    na ya wa za kwa ni au katika kwenye mimi sisi nini
    i'm im based located format formats least instead ones kb mb gb tb datos donnees dados
    te se si ne di da ta ti lo li ku mu ke ko ni je ya oy ang mga sa
    daten available something anything spoken written
    """
)


@dataclass(frozen=True)
class Reading:
    """What one message asks for. Empty fields were not mentioned."""

    languages: tuple[str, ...] = ()  # shortest ISO 639 codes, as named
    locales: tuple[str, ...] = ()  # BCP-47 tags with a region: "sw-KE"
    # Places whose languages are meant ("languages spoken in Cameroon"): ISO 3166 alpha-2
    # codes or CLDR region codes ("011"); or, beside a language, where it is spoken.
    places: tuple[str, ...] = ()
    country: str = ""  # where the person is ("I'm in Kenya")
    tasks: tuple[str, ...] = ()  # catalog.models.Task values
    purpose: str = ""  # licensing.engine.Purpose values
    organization_type: str = ""  # licensing.engine.OrganizationType values
    free: bool | None = None  # True: free only; False: paid ones are fine too
    max_price_cents: int | None = None
    formats: tuple[str, ...] = ()
    min_size_bytes: int | None = None
    max_size_bytes: int | None = None
    with_sample: bool = False
    adds: bool = False  # "also", "too": adds to what was asked before instead of replacing it
    starts_over: bool = False
    words: tuple[str, ...] = ()  # the remaining words that may describe the data


# Tasks by the words people use for them (folded). A longer phrase wins over a shorter one.
TASK_PHRASES: dict[str, tuple[str, ...]] = {
    "ASR": (
        "asr", "stt", "speech recognition", "speech to text", "voice recognition",
        "speech recognizer", "speech recogniser", "speech recognition system",
        "transcribed", "transcribed speech", "transcribed audio", "transcript", "transcripts",
        "speech recognizers", "recognizer", "voice to text", "spoken corpus with transcripts",
        "automatic speech recognition", "transcription", "transcriptions", "transcribe",
        "transcribing", "dictation", "speech transcription", "reconnaissance vocale",
        "reconnaissance de la parole", "reconnaissance automatique de la parole",
        "parole vers texte", "reconocimiento de voz", "reconocimiento del habla",
        "reconocimiento automatico del habla", "voz a texto", "transcripcion",
        "reconhecimento de fala", "reconhecimento de voz", "transcricao", "spracherkennung",
        "transkription", "utambuzi wa sauti", "utambuzi wa usemi", "unukuzi", "kunukuu",
        "التعرف على الكلام", "التعرف على الصوت", "تحويل الكلام إلى نص", "تفريغ صوتي",
    ),
    "TTS": (
        "tts", "text to speech", "speech synthesis", "voice synthesis", "synthetic voice",
        "voice cloning", "synthesise speech", "synthesize speech", "speech generation",
        "speech synthesizer", "speech synthesiser", "voice generation", "synthesizer",
        "text to voice", "read aloud",
        "synthese vocale", "synthese de la parole", "texte vers parole", "sintesis de voz",
        "sintesis del habla", "texto a voz", "sintese de fala", "sintese de voz",
        "texto para fala", "sprachsynthese", "text zu sprache", "usanisi wa sauti",
        "usanisi wa usemi", "maandishi kwa sauti", "تحويل النص إلى كلام", "توليد الكلام",
        "تركيب الكلام",
    ),
    "MT": (
        "mt", "translation", "translations", "machine translation", "translate",
        "translated", "translator", "translators", "aligned sentences", "sentence pairs",
        "translating", "parallel corpus", "parallel text", "parallel texts", "bitext",
        "parallel data", "corpus paralelo", "textos paralelos",
        "traduction", "traduction automatique", "traduire", "corpus parallele",
        "traduccion", "traduccion automatica", "traducir", "traducao", "traducao automatica",
        "traduzir", "ubersetzung", "maschinelle ubersetzung", "ubersetzen", "tafsiri",
        "kutafsiri", "tafsiri ya mashine", "ترجمة", "الترجمة", "الترجمة الآلية",
    ),
    "LID": (
        "lid", "language identification", "language detection", "language id",
        "spoken language identification", "identify languages", "identify the language",
        "detect the language", "identification de la langue", "identification des langues",
        "identificacion de idioma", "identificacion de la lengua", "deteccion de idioma",
        "identificacao de idioma", "spracherkennung von sprachen", "sprachidentifikation",
        "utambuzi wa lugha", "التعرف على اللغة", "تحديد اللغة",
    ),
    "LM": (
        "lm", "language model", "language models", "language modelling",
        "language modeling", "pretraining", "pre training", "monolingual corpus",
        "monolingual text", "text corpus", "modele de langue", "modeles de langue",
        "modelo de lenguaje", "modelos de lenguaje", "modelo de linguagem", "sprachmodell",
        "modeli wa lugha", "نموذج لغوي", "نماذج لغوية",
    ),
    "LLM": (
        "llm", "llms", "large language model", "large language models", "fine tuning",
        "finetuning", "fine tune", "instruction tuning", "chatbot", "chatbots",
        "grand modele de langue", "grands modeles de langue", "modelo de lenguaje grande",
        "modelos de lenguaje grandes", "großes sprachmodell", "نموذج لغوي كبير",
    ),
    "NLU": (
        "nlu", "natural language understanding", "intent detection", "intent classification",
        "sentiment", "sentiment analysis", "named entity", "named entities",
        "named entity recognition", "ner", "text classification", "question answering",
        "comprehension du langage", "analyse de sentiment", "analyse des sentiments",
        "analisis de sentimiento", "analise de sentimento", "stimmungsanalyse",
        "uelewa wa lugha", "تحليل المشاعر",
    ),
    "NLG": (
        "nlg", "natural language generation", "text generation", "summarization",
        "summarisation", "generation de texte", "resume automatique", "generacion de texto",
        "geracao de texto", "textgenerierung", "توليد النصوص",
    ),
    "NLP": (
        "nlp", "natural language processing", "text processing", "traitement du langage",
        "traitement automatique des langues", "tal", "procesamiento del lenguaje natural",
        "pln", "processamento de linguagem natural", "sprachverarbeitung",
        "uchakataji wa lugha", "معالجة اللغة الطبيعية",
    ),
    "CALL": (
        "call", "computer assisted language learning", "language learning",
        "learn the language", "pronunciation training", "pronunciation practice",
        "apprentissage des langues", "apprentissage de la langue", "aprendizaje de idiomas",
        "aprendizagem de idiomas", "sprachenlernen", "kujifunza lugha", "تعلم اللغة",
    ),
    "RAG": (
        "rag", "retrieval augmented generation", "retrieval", "semantic search",
        "knowledge base", "recherche documentaire", "recuperacion de informacion",
    ),
    "CV": (
        "cv", "computer vision", "image", "images", "ocr", "handwriting",
        "optical character recognition", "vision par ordinateur", "vision por computadora",
        "reconnaissance d'ecriture", "reconocimiento optico de caracteres", "bilderkennung",
    ),
    "ML": ("machine learning", "apprentissage automatique", "aprendizaje automatico"),
}  # fmt: skip

# Tasks that serve a similar need, for when nothing matches the one asked for.
RELATED_TASKS: dict[str, tuple[str, ...]] = {
    "ASR": ("LID", "TTS"),
    "TTS": ("ASR",),
    "LID": ("ASR", "NLP"),
    "MT": ("LM", "NLP"),
    "LM": ("LLM", "NLP", "MT"),
    "LLM": ("LM", "NLG", "NLP"),
    "NLU": ("NLP", "LM"),
    "NLG": ("LLM", "LM"),
    "NLP": ("NLU", "LM"),
    "CALL": ("ASR", "TTS"),
    "RAG": ("LLM", "NLU"),
}

_PURPOSE_PHRASES: dict[str, tuple[str, ...]] = {
    "non_commercial": (
        "non commercial", "noncommercial", "not commercial", "no commercial", "nonprofit use",
        "non commerciale", "no comercial", "nao comercial", "nicht kommerziell",
        "isiyo ya kibiashara", "غير تجاري",
    ),
    "commercial": (
        "commercial", "commercially", "commercial use", "for profit", "product", "products",
        "production", "startup", "start up", "my company", "our company", "business",
        "monetize", "monetise", "sell", "commerciale", "commercialement", "comercial",
        "comercialmente", "kommerziell", "biashara", "kibiashara", "تجاري", "تجارية",
    ),
    "research": (
        "research", "researcher", "researchers", "academic research", "thesis", "phd",
        "dissertation", "study", "paper", "recherche", "investigacion", "pesquisa",
        "forschung", "utafiti", "بحث", "البحث العلمي",
    ),
    "education": (
        "teaching", "teach", "classroom", "class", "course", "students", "education",
        "educational", "school", "enseignement", "enseigner", "educacion", "ensenanza",
        "ensino", "unterricht", "elimu", "kufundisha", "تعليم", "التعليم",
    ),
}  # fmt: skip

_ORGANIZATION_PHRASES: dict[str, tuple[str, ...]] = {
    "company": (
        "company", "startup", "start up", "business", "enterprise", "corporation", "firm",
        "entreprise", "empresa", "firma", "unternehmen", "kampuni", "شركة",
    ),
    "academic": (
        "university", "universite", "universidad", "universidade", "universitat", "chuo kikuu",
        "lab", "laboratory", "academic", "academia", "جامعة",
    ),
    "nonprofit": (
        "nonprofit", "non profit", "ngo", "charity", "association", "ong", "foundation",
        "shirika lisilo la kiserikali",
    ),
    "government": ("government", "ministry", "gouvernement", "gobierno", "governo", "serikali"),
    "community": ("community", "communaute", "comunidad", "jamii"),
    "individual": ("individual", "hobby", "personal project", "myself"),
}  # fmt: skip

_FREE_PHRASES = (
    "free", "for free", "free of charge", "no cost", "without paying", "zero cost", "gratis",
    "gratuit", "gratuite", "gratuits", "gratuites", "gratuito", "gratuita", "gratuitos",
    "gratuitas", "kostenlos", "bure", "bila malipo", "مجاني", "مجانية", "مجانا",
)  # fmt: skip
_PAID_TOO_PHRASES = (
    "paid ones are fine", "paid is fine", "paid is ok", "paid ones too", "paid too",
    "any price", "paid ones as well", "include paid", "including paid", "paid ones are ok",
    "doesn't have to be free", "doesn t have to be free", "does not have to be free",
    "not only free", "payant aussi", "de pago tambien",
)  # fmt: skip
_ADD_WORDS = _word_set("also too aussi tambien tambem auch pia")
_ADD_PHRASES = ("as well", "and also", "in addition", "de plus")
_RESTART_PHRASES = (
    "start over", "start again", "new search", "forget that", "forget it", "reset",
    "recommencer", "empezar de nuevo", "anza upya",
)  # fmt: skip
_SAMPLE_PHRASES = ("with a sample", "with sample", "sample available", "has a sample", "preview")
FORMATS = _word_set(
    "wav mp3 flac ogg opus m4a webm csv tsv json jsonl parquet txt xml arrow tar zip"
)

_MONEY = re.compile(
    r"(?P<before>under|below|less than|at most|max(?:imum)?|up to|no more than|cheaper than"
    r"|budget(?: of| is)?|moins de|au plus|menos de|hasta|como maximo|weniger als|bis zu"
    r"|chini ya|<=?)\s*(?P<cur1>\$|€|£|usd|eur|us\$)?\s*"
    r"(?P<amount>\d{1,9}(?:[.,]\d{1,2})?)(?!\d)\s*"
    r"(?P<cur2>\$|€|£|usd|eur|dollars?|euros?|dolares|dólares)?",
    re.IGNORECASE,
)
_SIZE = re.compile(
    r"(?:(?P<min>at least|more than|over|bigger than|larger than|minimum|min|au moins"
    r"|plus de|mas de|al menos|mindestens)|(?P<max>under|less than|below|smaller than|at most"
    r"|max(?:imum)?|up to|moins de|menos de|hochstens))\s*"
    r"(?P<amount>\d{1,9}(?:[.,]\d{1,3})?)(?!\d)\s*"
    r"(?P<unit>kb|mb|gb|tb|ko|mo|go|to)\b",
    re.IGNORECASE,
)
_SIZE_UNITS = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_TAG = re.compile(r"\b[a-zA-Z]{2,3}[-_](?:[A-Za-z]{4}[-_])?(?:[A-Za-z]{2}|\d{3})\b")
_WORD = re.compile(r"\w+(?:'\w+)?", re.UNICODE)
# Said before a place, these mean the person is there ("I'm based in Kenya").
_HERE = re.compile(
    r"\b(?:i am|i'm|im|we are|we're|i live|we live|living|based|located|operating|i work"
    r"|we work|my company is|our company is|our lab is|je suis|nous sommes|on est|basee?s?"
    r"|installee?s?|estoy|estamos|soy|somos|vivo|vivimos|sou|somos|estou|ich bin|wir sind"
    r"|niko|tuko|ninaishi|tunaishi|أنا في|نحن في)\b(?:\s+\S+){0,3}\s*$"
)


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})


def _fold_phrase(text: str) -> str:
    return " ".join(_WORD.findall(fold(text.translate(_APOSTROPHES)).replace("-", " ")))


@lru_cache(maxsize=1)
def _phrase_table() -> dict[tuple[str, ...], list[tuple[str, str]]]:
    """Every known phrase as a tuple of folded words, with what it means: (kind, value)."""
    table: dict[tuple[str, ...], list[tuple[str, str]]] = {}

    def add(kind: str, value: str, phrases) -> None:
        for phrase in phrases:
            key = tuple(_fold_phrase(phrase).split())
            if key and (kind, value) not in table.get(key, []):
                table.setdefault(key, []).append((kind, value))

    for task, phrases in TASK_PHRASES.items():
        add("task", task, phrases)
    for purpose, phrases in _PURPOSE_PHRASES.items():
        add("purpose", purpose, phrases)
    for kind, phrases in _ORGANIZATION_PHRASES.items():
        add("organization", kind, phrases)
    add("free", "yes", _FREE_PHRASES)
    add("free", "no", _PAID_TOO_PHRASES)
    add("adds", "yes", _ADD_PHRASES)
    add("restart", "yes", _RESTART_PHRASES)
    add("sample", "yes", _SAMPLE_PHRASES)
    for code, names in _language_names().items():
        add("language", code, names)
    for code, names in _place_names().items():
        add("place", code, names)
    return table


@lru_cache(maxsize=1)
def _well_known_languages() -> frozenset[str]:
    """Languages CLDR counts speakers for: named often enough that a one-word name is meant."""
    from language_data.population_data import LANGUAGE_SPEAKING_POPULATION

    alpha2 = {e.alpha_3: e.alpha_2 for e in pycountry.languages if hasattr(e, "alpha_2")}
    codes = {tag.split("-")[0] for tag in LANGUAGE_SPEAKING_POPULATION}
    return frozenset(alpha2.get(code, code) for code in codes)


@lru_cache(maxsize=1)
def _language_names() -> dict[str, set[str]]:
    """Names of languages by code: ISO 639's for all, CLDR's in several languages and the
    autonym for the well-known ones, and the codes themselves."""
    names: dict[str, set[str]] = {}
    for entry in pycountry.languages:
        code = getattr(entry, "alpha_2", None) or entry.alpha_3
        names.setdefault(code, set()).update(
            [re.sub(r"\s*\(.*\)$", "", entry.name), *language_codes(code)]
        )
    for code in _well_known_languages():
        language = langcodes.Language.get(code)
        for display in NAME_LANGUAGES + (code,):
            name = language.display_name(display)
            if not name.startswith(("Unknown", "[")) and name != code:
                names.setdefault(code, set()).add(re.sub(r"\s*\(.*\)$", "", name))
    return names


@cache
def language_codes(code: str) -> frozenset[str]:
    """Every ISO 639 code of a language: 'sw' -> {'sw', 'swa'}."""
    entry = pycountry.languages.get(alpha_2=code) if len(code) == 2 else None
    entry = entry or pycountry.languages.get(alpha_3=code)
    if entry is None:
        return frozenset({code})
    codes = {getattr(entry, "alpha_2", None), entry.alpha_3, getattr(entry, "bibliographic", None)}
    return frozenset(c for c in codes if c)


# Adjectives are made from English names by these endings ("Kenya" -> "Kenyan", "Ghana" ->
# "Ghanaian", "Senegal" -> "Senegalese"), the final vowel dropped or kept.
_ADJECTIVE_ENDINGS = ("n", "an", "ian", "ese", "i", "ish", "ic", "lese", "ean")
_COMPASS = ("West", "East", "North", "South")


@lru_cache(maxsize=1)
def _place_names() -> dict[str, set[str]]:
    """Names of countries and regions by code, in several languages, and the adjectives made
    from the English ones. An adjective two places could give ("Nigerian": Nigeria + n or
    Niger + ian) goes to the place with the longer name."""
    names: dict[str, set[str]] = {}
    english: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name"):
            if hasattr(country, attribute):
                english.setdefault(country.alpha_2, set()).add(getattr(country, attribute))
    for code in list(english) + sorted(regions() - {"UN", "EZ", "QO"}):
        territory = langcodes.Language.get(f"und-{code}")
        for display in NAME_LANGUAGES:
            name = territory.territory_name(display)
            if name and name != code and not name.startswith("Unknown"):
                name = re.sub(r"\s*\(.*\)$", "", name)
                (english if display == "en" else names).setdefault(code, set()).add(name)
    for found in english.values():
        for name in list(found):
            for compass in _COMPASS:
                if name.startswith(compass + "ern "):
                    found.add(compass + name[len(compass) + 3 :])
    adjectives: dict[str, tuple[int, str]] = {}
    for code, found in english.items():
        names.setdefault(code, set()).update(found)
        for name in found:
            if "," in name or " of " in name:
                continue
            stems = {name, name[:-1]} if name[-1] in "aeiouy" else {name}
            for stem in stems:
                for ending in _ADJECTIVE_ENDINGS:
                    key = _fold_phrase(stem + ending)
                    if adjectives.get(key, (0, ""))[0] < len(name):
                        adjectives[key] = (len(name), code)
    taken = {_fold_phrase(n) for found in names.values() for n in found}
    for adjective, (_, code) in adjectives.items():
        if adjective not in taken:
            names[code].add(adjective)
    return names


def _language_meant(code: str, word: str, original: str, known: frozenset[str]) -> bool:
    """Whether a one-word match stands for the language rather than for an ordinary word.

    A code counts for the languages of the catalogue and, two letters long, for well-known
    ones; a name counts for those, or when written with a capital ("Tikar")."""
    if word in STOPWORDS:
        return False
    capitalised = original[:1].isupper() and not original.isupper()
    if capitalised or word not in language_codes(code):
        return code in known or code in _well_known_languages() or capitalised
    return code in known or (len(word) == 2 and code in _well_known_languages())


@dataclass(frozen=True)
class Phrase:
    """A stretch of a message: one word or a phrase read as something (`meanings`: pairs
    of kind and value, such as ("language", "sw"), ("task", "ASR")), or a plain word."""

    text: str  # as written
    words: tuple[str, ...]  # folded
    meanings: tuple[tuple[str, str], ...] = ()


_TOKEN = re.compile(rf"{_TAG.pattern}|{_WORD.pattern}", re.UNICODE)
# The longest phrase looked up, in words.
_LONGEST = 6


def phrases(text: str, *, catalogued: frozenset[str] = frozenset()) -> list[Phrase]:
    """`text` cut into the phrases it is made of, the longest known phrase first."""
    # Composed, as the index folds it: "Èdè" is one word however it was typed, "℃" is "°C".
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    tokens = [(m.group(0), m.start()) for m in _TOKEN.finditer(text)]
    folded = [_spelled(_fold_phrase(token) or token.casefold()) for token, _ in tokens]
    out: list[Phrase] = []
    i = 0
    while i < len(tokens):
        tag = _locale_of(tokens[i][0])
        if tag:
            meanings = (("language", tag.split("-")[0]), ("locale", tag))
            out.append(Phrase(tokens[i][0], (folded[i],), meanings))
            i += 1
            continue
        code = _code_after_the_word_code(folded, i)
        if code:
            out.append(Phrase(tokens[i][0], (folded[i],), (("language", code),)))
            i += 1
            continue
        size, meanings = _longest_known(folded, i, tokens[i][0], catalogued)
        if size:
            # What comes just before a place says whether the person is there.
            place_here = _HERE.search(fold(text[max(0, tokens[i][1] - 80) : tokens[i][1]]))
            if place_here:
                meanings = [("country", v) if k == "place" else (k, v) for k, v in meanings]
            words = tuple(" ".join(folded[i : i + size]).split())
            written = text[tokens[i][1] : tokens[i + size - 1][1] + len(tokens[i + size - 1][0])]
            out.append(Phrase(written, words, tuple(meanings)))
            i += size
        else:
            out.append(Phrase(tokens[i][0], (folded[i],)))
            i += 1
    return out


def _spelled(word: str) -> str:
    """A word of the task and use vocabulary that `word` misspells by a letter or two
    ("recogntion"), else `word` as it is."""
    vocabulary = _vocabulary()
    if len(word) < 6 or word in vocabulary["all"] or word in STOPWORDS or not word.isalpha():
        return word
    import difflib

    candidates = [w for d in (-1, 0, 1) for w in vocabulary.get((word[0], len(word) + d), ())]
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.85)
    return close[0] if close else word


@lru_cache(maxsize=1)
def _vocabulary() -> dict:
    """The words of the task and use phrases, by first letter and length."""
    phrase_lists = [*TASK_PHRASES.values(), *_PURPOSE_PHRASES.values(), _FREE_PHRASES]
    known = {w for phrases in phrase_lists for p in phrases for w in _fold_phrase(p).split()}
    buckets: dict = {"all": frozenset(known)}
    for word in known:
        if len(word) >= 6:
            buckets.setdefault((word[0], len(word)), []).append(word)
    return buckets


def _code_after_the_word_code(folded: list[str], i: int) -> str:
    """A language code said to be one ("language code yo", "ISO 639 code haz")."""
    word = folded[i]
    if i == 0 or folded[i - 1] not in ("code", "codes", "tag", "iso") or not word.isalpha():
        return ""
    # The code ends the sentence, or is no ordinary word: "code is broken" names no language.
    last = i + 1 == len(folded)
    if len(word) not in (2, 3) or not (last or word not in STOPWORDS):
        return ""
    entry = pycountry.languages.get(alpha_2=word) if len(word) == 2 else None
    entry = entry or pycountry.languages.get(alpha_3=word)
    return (getattr(entry, "alpha_2", None) or entry.alpha_3) if entry else ""


def _locale_of(token: str) -> str:
    """The BCP-47 tag a token is, when it names a language and a region ("sw-KE")."""
    if "-" not in token and "_" not in token:
        return ""
    try:
        tag = normalize_locale(token)
    except InvalidLocale:
        return ""
    return tag if tag.split("-")[-1].isupper() else ""


def _longest_known(folded: list[str], i: int, written: str, catalogued: frozenset[str]):
    """The number of words of the longest known phrase at word `i`, and its meanings."""
    table = _phrase_table()
    for size in range(min(_LONGEST, len(folded) - i), 0, -1):
        key = tuple(" ".join(folded[i : i + size]).split())
        meanings = table.get(key, [])
        # "Runa Simi" is also written "Runasimi".
        if not meanings and size > 1 and not STOPWORDS.intersection(key):
            meanings = [m for m in table.get(("".join(key),), []) if m[0] == "language"]
        if size == 1 and key and key[0] in FORMATS:
            return 0, []
        if size == 1 and not meanings and key:
            meanings = _variant_meanings(key[0], catalogued)
        if size == 1 and meanings:
            # A word with another meaning ("ASR", "TTS") is not also a language's code.
            if any(kind not in ("language", "place") for kind, _ in meanings):
                meanings = [m for m in meanings if m[0] not in ("language", "place")]
            if key[0] in STOPWORDS:
                meanings = [m for m in meanings if m[0] not in ("language", "place")]
            meanings = [
                (kind, value)
                for kind, value in meanings
                if kind != "language" or _language_meant(value, key[0], written, catalogued)
            ]
        if meanings:
            return size, _prefer(meanings, catalogued)
    return 0, []


def _variant_meanings(word: str, catalogued: frozenset[str]) -> list[tuple[str, str]]:
    """What an unknown word may still mean: a plural ("transcripts"), a compound that starts
    with a known word ("Spracherkennungsdaten"), or a misspelt name of a language the
    catalogue holds ("amharik")."""
    table = _phrase_table()
    if len(word) > 4 and word.endswith("s") and (word[:-1],) in table:
        return [m for m in table[(word[:-1],)] if m[0] not in ("language", "place")]
    if len(word) >= 12:
        for prefix, meanings in _compound_heads().items():
            if word.startswith(prefix):
                return meanings
    if len(word) >= 5 and word.isalpha() and word not in STOPWORDS:
        close = _close_language(word, catalogued)
        if close:
            return [("language", close)]
    return []


@lru_cache(maxsize=1)
def _compound_heads() -> dict[str, list[tuple[str, str]]]:
    """Long one-word task names, which other languages join to further words."""
    return {
        key[0]: meanings
        for key, meanings in _phrase_table().items()
        if len(key) == 1 and len(key[0]) >= 9 and all(kind == "task" for kind, _ in meanings)
    }


def _close_language(word: str, catalogued: frozenset[str]) -> str:
    """The catalogued language whose name `word` misspells by a letter or two, if one."""
    import difflib

    names = _catalogued_names(catalogued)
    candidates = list(names.get((word[0], len(word)), []))
    candidates += [n for d in (-1, 1) for n in names.get((word[0], len(word) + d), [])]
    close = difflib.get_close_matches(word, [n for n, _ in candidates], n=1, cutoff=0.85)
    return dict(candidates)[close[0]] if close else ""


@lru_cache(maxsize=8)
def _catalogued_names(catalogued: frozenset[str]) -> dict[tuple[str, int], list]:
    names: dict[tuple[str, int], list] = {}
    for code in catalogued:
        language = langcodes.Language.get(code)
        for name in (language.display_name("en"), language.autonym()):
            folded = _fold_phrase(name)
            if len(folded) >= 5 and " " not in folded:
                names.setdefault((folded[0], len(folded)), []).append((folded, code))
    return names


def read(text: str, *, catalogued: frozenset[str] = frozenset()) -> Reading:
    """What `text` asks for. `catalogued`: codes of the languages the catalogue holds, which
    are recognized by code and by rarer names too."""
    found: dict[str, list[str]] = {}
    rest: list[str] = []
    cut = phrases(text, catalogued=catalogued)
    for phrase in cut:
        for kind, value in phrase.meanings:
            found.setdefault(kind, []).append(value)
        if not phrase.meanings:
            word = phrase.words[0]
            if word not in STOPWORDS and not word.isdigit():
                rest.append(word)
    formats = tuple(dict.fromkeys(w.upper() for w in rest if w in FORMATS))
    words = tuple(dict.fromkeys(w for w in rest if w not in FORMATS))
    adds = "adds" in found or any(w in _ADD_WORDS for p in cut for w in p.words)
    reading = Reading(
        languages=tuple(dict.fromkeys(found.get("language", []))),
        locales=tuple(dict.fromkeys(found.get("locale", []))),
        places=tuple(dict.fromkeys(found.get("place", []))),
        country=next((c for c in found.get("country", []) if len(c) == 2), ""),
        tasks=tuple(dict.fromkeys(found.get("task", []))),
        purpose=_purpose(found.get("purpose", [])),
        organization_type=(found.get("organization") or [""])[-1],
        free={"yes": True, "no": False}.get((found.get("free") or [""])[-1]),
        formats=formats,
        with_sample="sample" in found,
        adds=adds,
        starts_over="restart" in found,
        words=words,
    )
    return _with_amounts(reading, text)


def _prefer(meanings: list[tuple[str, str]], catalogued: frozenset[str]) -> list:
    """One reading of a phrase: a language over a place of the same name ("Georgian"), and
    among languages of the same name, one the catalogue holds or a well-known one."""
    languages = sorted(
        (value for kind, value in meanings if kind == "language"),
        key=lambda code: (code not in catalogued, code not in _well_known_languages(), code),
    )
    places = [m for m in meanings if m[0] == "place"]
    chosen = [("language", languages[0])] if languages else places[:1]
    return chosen + [m for m in meanings if m[0] not in ("language", "place")]


def _purpose(found: list[str]) -> str:
    # "non-commercial" contains "commercial": the longer phrase was matched, so whichever
    # came last in the message is what the person settled on.
    return found[-1] if found else ""


def _with_amounts(reading: Reading, text: str) -> Reading:
    changes = {}
    for match in _SIZE.finditer(text):
        amount = float(match.group("amount").replace(",", "."))
        size = int(amount * _SIZE_UNITS[match.group("unit")[0].lower()])
        changes["min_size_bytes" if match.group("min") else "max_size_bytes"] = size
    sizes = [m.span() for m in _SIZE.finditer(text)]
    for match in _MONEY.finditer(text):
        if any(s <= match.start() < e for s, e in sizes):
            continue
        currency = match.group("cur1") or match.group("cur2")
        if not currency and not match.group("before").lower().startswith("budget"):
            continue
        amount = float(match.group("amount").replace(",", "."))
        changes["max_price_cents"] = round(amount * 100)
    return replace(reading, **changes) if changes else reading


# The describing words a request keeps: the most recent, enough to rank by.
MAX_WORDS = 30


@dataclass(frozen=True)
class Request:
    """What a whole conversation asks for: each message read in turn, later ones refining
    earlier ones ("only the free ones", "what about Hausa?", "for translation instead")."""

    languages: tuple[str, ...] = ()
    locales: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    country: str = ""
    tasks: tuple[str, ...] = ()
    purpose: str = ""
    organization_type: str = ""
    free: bool = False
    max_price_cents: int | None = None
    formats: tuple[str, ...] = ()
    min_size_bytes: int | None = None
    max_size_bytes: int | None = None
    with_sample: bool = False
    words: tuple[str, ...] = ()
    # Words of the latest message, for ranking: earlier words count less.
    recent_words: tuple[str, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not (
            self.languages
            or self.locales
            or self.places
            or self.tasks
            or self.words
            or self.formats
        )

    def refine(self, reading: Reading) -> "Request":
        if reading.starts_over:
            return Request().refine(replace(reading, starts_over=False))

        def merged(old: tuple, new: tuple) -> tuple:
            if not new:
                return old
            return tuple(dict.fromkeys(old + new)) if reading.adds else new

        named_language = bool(reading.languages or reading.places or reading.locales)
        changes = {
            "languages": merged(self.languages, reading.languages)
            if named_language
            else self.languages,
            "locales": merged(self.locales, reading.locales) if named_language else self.locales,
            "places": merged(self.places, reading.places) if named_language else self.places,
            "tasks": merged(self.tasks, reading.tasks),
            "formats": merged(self.formats, reading.formats),
            "country": reading.country or self.country,
            "purpose": reading.purpose or self.purpose,
            "organization_type": reading.organization_type or self.organization_type,
            "free": self.free if reading.free is None else reading.free,
            "with_sample": self.with_sample or reading.with_sample,
        }
        if reading.languages and not reading.adds and not reading.places:
            changes["places"] = ()
        for name in ("max_price_cents", "min_size_bytes", "max_size_bytes"):
            value = getattr(reading, name)
            changes[name] = getattr(self, name) if value is None else value
        if reading.max_price_cents is not None:
            changes["free"] = False
        # A message that names a new subject brings its own describing words.
        new_subject = named_language or reading.tasks
        if reading.words or new_subject:
            changes["words"] = (
                merged(self.words, reading.words)
                if reading.adds or not (new_subject)
                else reading.words
            )
        changes["recent_words"] = reading.words[-MAX_WORDS:]
        changes["words"] = changes.get("words", self.words)[-MAX_WORDS:]
        return replace(self, **changes)


def read_conversation(messages: list[str], *, catalogued: frozenset[str] = frozenset()):
    """The request a conversation adds up to, from the person's messages in order."""
    request = Request()
    for message in messages:
        request = request.refine(read(message, catalogued=catalogued))
    return request
