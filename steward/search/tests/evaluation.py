"""The discovery assistant's evaluation set: a generated catalogue and the requests to ask of it.

`catalogue()` builds about 350 datasets in 71 languages, deterministically
(random.Random(seed)): every MDC task that matters, several formats, licences and prices, public,
restricted and a few private datasets, and some with terms that limit the purposes or the
countries they may be used in. Names vary as real ones do: the English name ("Swahili Read
Speech"), the autonym ("Kiswahili Voices") or neither ("Sauti za Pwani", "Kano Market
Conversations"); a few descriptions are in French or Spanish. `install_catalogue()` publishes it
through the product's services: `import_catalog` with MDC JSON lines, then `change_terms`.

`CASES` are requests as developers type them, one or several user turns, each with what a good
answer holds written as a predicate (`Want`): languages, places, tasks, formats, free only, a
price ceiling, a purpose the terms must allow, the user's country. The datasets a case expects
are computed from the catalogue (`expected`), never listed by hand.

`score()` gives a case's recall@5, |top 5 ∩ expected| / min(5, |expected|), and its constraint
violations: any dataset in the top 5 that breaks what the case states (language, task, format,
free, price, purpose, country) or whose access information contradicts it (pay for a free
dataset, download for a paid one); private datasets returned are counted apart. The test
(test_evaluation.py) and the benchmark (bench/assistant.py) both use it.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from random import Random
from typing import Any

from django.utils.text import slugify
from language_data.population_data import LANGUAGE_SPEAKING_POPULATION

from steward.lib.text import fold
from steward.licensing.engine import Geography, GeographyMode
from steward.licensing.licences import PREDEFINED
from steward.licensing.regions import CONTINENTS, REGIONS

SEED = 2024
TOP = 5
KEEPER = "catalogue-keeper"  # the user who owns every organization below and sets terms

# --- Organizations -------------------------------------------------------------------

# slug: (name, ISO 3166 country)
ORGANIZATIONS: dict[str, tuple[str, str]] = {
    "pwani-community-radio": ("Pwani Community Radio", "KE"),
    "dar-language-lab": ("Dar es Salaam Language Lab", "TZ"),
    "arewa-speech-initiative": ("Arewa Speech Initiative", "NG"),
    "lagos-nlp-collective": ("Lagos NLP Collective", "NG"),
    "yaounde-language-archive": ("Archives des langues de Yaoundé", "CM"),
    "kinshasa-speech-project": ("Kinshasa Speech Project", "CD"),
    "dakar-open-language-data": ("Données linguistiques ouvertes de Dakar", "SN"),
    "horn-of-africa-nlp": ("Horn of Africa NLP Group", "ET"),
    "ubuntu-voices": ("Ubuntu Voices Foundation", "ZA"),
    "great-lakes-speech": ("Great Lakes Speech Network", "RW"),
    "gold-coast-language-project": ("Gold Coast Language Project", "GH"),
    "sahel-oral-archive": ("Sahel Oral Archive", "ML"),
    "tamazgha-digital": ("Tamazgha Digital", "DZ"),
    "zambezi-language-trust": ("Zambezi Language Trust", "ZW"),
    "nile-delta-nlp": ("Nile Delta NLP", "EG"),
    "celtic-voices": ("Celtic and Iberian Voices", "IE"),
    "open-speech-europe": ("Open Speech Europe", "FR"),
    "andes-voices-collective": ("Colectivo Voces de los Andes", "PE"),
    "tekopora-lab": ("Tekoporã Lab", "PY"),
    "mesoamerica-language-lab": ("Laboratorio de Lenguas de Mesoamérica", "MX"),
    "pacific-language-keepers": ("Pacific Language Keepers", "NZ"),
    "dine-language-center": ("Diné Language Center", "US"),
    "kreyol-data-lab": ("Kreyòl Data Lab", "HT"),
    "south-asia-speech-consortium": ("South Asia Speech Consortium", "IN"),
    "silk-road-language-lab": ("Silk Road Language Lab", "UZ"),
    "mekong-nlp": ("Mekong NLP", "VN"),
    "nusantara-voices": ("Nusantara Voices", "ID"),
    "global-english-speech": ("Global English Speech", "GB"),
}

# --- Languages -----------------------------------------------------------------------


@dataclass(frozen=True)
class LanguagePlan:
    """One language of the catalogue: how its datasets are named, described and published."""

    code: str  # shortest ISO 639 code, as the catalogue stores it
    locales: tuple[str, ...]  # BCP-47 tags its datasets use, the first most often
    english: str  # the English name descriptions use
    autonym: str
    places: tuple[str, ...]  # towns and regions where recordings are made
    organizations: tuple[str, ...]
    tasks: str  # the task of each dataset: the first is free and open to any use
    brands: tuple[str, ...] = ()  # dataset names that name neither the language nor a task
    french: str = ""  # its French name: some descriptions are in French
    spanish: str = ""  # its Spanish name: some descriptions are in Spanish


def plan(
    code: str,
    english: str,
    autonym: str,
    *,
    locales: str,
    places: str,
    organizations: str,
    tasks: str,
    brands: str = "",
    french: str = "",
    spanish: str = "",
) -> LanguagePlan:
    """A LanguagePlan from compact strings: locales, organizations and tasks space-separated,
    places comma-separated ("Zanzibar/TZ" is in TZ), brands semicolon-separated."""
    return LanguagePlan(
        code=code,
        locales=tuple(locales.split()),
        english=english,
        autonym=autonym,
        places=tuple(p.strip() for p in places.split(",")),
        organizations=tuple(organizations.split()),
        tasks=tasks,
        brands=tuple(b.strip() for b in brands.split(";") if b.strip()),
        french=french,
        spanish=spanish,
    )


LANGUAGES: tuple[LanguagePlan, ...] = (
    # Africa
    plan("sw", "Swahili", "Kiswahili", locales="sw-KE sw-TZ sw-KE sw",
         places="Mombasa/KE, Lamu/KE, Nairobi/KE, Zanzibar/TZ, Dar es Salaam/TZ, Tanga/TZ",
         organizations="pwani-community-radio dar-language-lab",
         tasks="ASR ASR ASR ASR ASR MT MT MT TTS TTS LM LM NLU LID LLM NLP",
         brands="Sauti za Pwani; Habari za Mtaa; Hadithi za Bibi; Mazungumzo ya Sokoni"),
    plan("ha", "Hausa", "Hausa", locales="ha-NG ha-NG ha-NE",
         places="Kano/NG, Kaduna/NG, Zinder/NE, Maradi/NE", organizations="arewa-speech-initiative",
         tasks="ASR ASR ASR ASR MT MT MT TTS LM LM NLU", brands="Muryar Arewa; Labaran Kasuwa",
         french="haoussa"),
    plan("yo", "Yoruba", "Yorùbá", locales="yo-NG yo-NG yo-BJ",
         places="Ibadan/NG, Ọ̀yọ́/NG, Lagos/NG, Porto-Novo/BJ",
         organizations="lagos-nlp-collective", tasks="ASR ASR ASR MT MT MT TTS TTS LM NLU CALL",
         brands="Ohùn Ìlú; Ìtàn Àgbà", french="yoruba"),
    plan("ig", "Igbo", "Asụsụ Igbo", locales="ig-NG", places="Enugu, Onitsha, Owerri",
         organizations="lagos-nlp-collective", tasks="ASR ASR MT MT TTS LM NLU",
         brands="Okwu Ndị Ichie"),
    plan("ewo", "Ewondo", "Ewondo", locales="ewo-CM", places="Yaoundé, Mbalmayo",
         organizations="yaounde-language-archive", tasks="ASR ASR MT TTS LM",
         brands="Minkana mi Yaoundé", french="ewondo"),
    plan("dua", "Duala", "Duálá", locales="dua-CM", places="Douala, Bonabéri",
         organizations="yaounde-language-archive", tasks="ASR ASR MT TTS", french="douala"),
    plan("bum", "Bulu", "Bulu", locales="bum-CM", places="Ebolowa, Sangmélima",
         organizations="yaounde-language-archive", tasks="ASR ASR MT LM", french="boulou"),
    plan("ff", "Fula", "Pulaar", locales="ff-SN ff-CM ff-GN", places="Podor/SN, Maroua/CM, Labé/GN",
         organizations="dakar-open-language-data arewa-speech-initiative",
         tasks="ASR ASR MT TTS LID", french="peul"),
    plan("ln", "Lingala", "Lingála", locales="ln-CD ln-CD ln-CG",
         places="Kinshasa/CD, Mbandaka/CD, Brazzaville/CG", organizations="kinshasa-speech-project",
         tasks="ASR ASR MT MT TTS TTS LM", brands="Mongongo ya Kinshasa", french="lingala"),
    plan("wo", "Wolof", "Wolof", locales="wo-SN", places="Dakar, Saint-Louis, Thiès",
         organizations="dakar-open-language-data", tasks="ASR ASR MT TTS LM NLU", brands="Baat yi",
         french="wolof"),
    plan("am", "Amharic", "አማርኛ", locales="am-ET", places="Addis Ababa, Gondar, Bahir Dar",
         organizations="horn-of-africa-nlp", tasks="ASR ASR MT MT MT TTS TTS LM NLU",
         brands="Dimts"),
    plan("om", "Oromo", "Afaan Oromoo", locales="om-ET om-KE",
         places="Adama/ET, Jimma/ET, Marsabit/KE", organizations="horn-of-africa-nlp",
         tasks="ASR ASR MT TTS LM"),
    plan("so", "Somali", "Af-Soomaali", locales="so-SO so-KE so-ET",
         places="Mogadishu/SO, Hargeisa/SO, Garissa/KE, Jijiga/ET",
         organizations="horn-of-africa-nlp", tasks="ASR MT TTS LM LM"),
    plan("ti", "Tigrinya", "ትግርኛ", locales="ti-ER ti-ET", places="Asmara/ER, Mekelle/ET",
         organizations="horn-of-africa-nlp", tasks="ASR MT TTS TTS"),
    plan("zu", "Zulu", "isiZulu", locales="zu-ZA", places="Durban, Pietermaritzburg, Ulundi",
         organizations="ubuntu-voices", tasks="ASR ASR ASR MT MT TTS TTS TTS LM NLU",
         brands="Izwi Lethu; Izindaba zaseThekwini"),
    plan("xh", "Xhosa", "isiXhosa", locales="xh-ZA", places="East London, Mthatha",
         organizations="ubuntu-voices", tasks="ASR ASR MT TTS LM"),
    plan("st", "Sesotho", "Sesotho", locales="st-ZA st-LS", places="Bloemfontein/ZA, Maseru/LS",
         organizations="ubuntu-voices", tasks="ASR MT TTS"),
    plan("tn", "Setswana", "Setswana", locales="tn-BW tn-ZA", places="Gaborone/BW, Mahikeng/ZA",
         organizations="ubuntu-voices", tasks="ASR MT LM"),
    plan("rw", "Kinyarwanda", "Ikinyarwanda", locales="rw-RW", places="Kigali, Huye, Musanze",
         organizations="great-lakes-speech", tasks="ASR ASR MT TTS LM LM NLU NLU",
         brands="Ijwi ry'Abaturage"),
    plan("lg", "Luganda", "Luganda", locales="lg-UG", places="Kampala, Masaka, Entebbe",
         organizations="great-lakes-speech", tasks="ASR ASR MT MT TTS"),
    plan("luo", "Dholuo", "Dholuo", locales="luo-KE", places="Kisumu, Homa Bay",
         organizations="great-lakes-speech pwani-community-radio", tasks="ASR MT TTS"),
    plan("ki", "Kikuyu", "Gĩkũyũ", locales="ki-KE", places="Nyeri, Murang'a",
         organizations="pwani-community-radio", tasks="ASR MT LM"),
    plan("ak", "Akan (Twi)", "Akan", locales="ak-GH", places="Kumasi, Accra",
         organizations="gold-coast-language-project", tasks="ASR ASR MT TTS NLU"),
    plan("ee", "Ewe", "Eʋegbe", locales="ee-GH ee-TG", places="Ho/GH, Lomé/TG",
         organizations="gold-coast-language-project", tasks="ASR MT TTS", french="éwé"),
    plan("bm", "Bambara", "Bamanankan", locales="bm-ML", places="Bamako, Ségou",
         organizations="sahel-oral-archive", tasks="ASR MT MT TTS", brands="Kumakan",
         french="bambara"),
    plan("kab", "Kabyle", "Taqbaylit", locales="kab-DZ", places="Tizi Ouzou, Béjaïa",
         organizations="tamazgha-digital", tasks="ASR MT LM", french="kabyle"),
    plan("sn", "Shona", "chiShona", locales="sn-ZW", places="Harare, Mutare",
         organizations="zambezi-language-trust", tasks="ASR ASR MT"),
    plan("ny", "Chichewa", "Chichewa", locales="ny-MW", places="Lilongwe, Blantyre",
         organizations="zambezi-language-trust", tasks="ASR MT TTS"),
    plan("mg", "Malagasy", "Malagasy", locales="mg-MG", places="Antananarivo, Toamasina",
         organizations="zambezi-language-trust", tasks="ASR MT LM", french="malgache"),
    plan("ar", "Arabic", "العربية", locales="ar-EG ar-MA ar-EG",
         places="Cairo/EG, Alexandria/EG, Fès/MA, Casablanca/MA",
         organizations="nile-delta-nlp tamazgha-digital", tasks="ASR ASR ASR MT LM NLU LID"),
    # Europe
    plan("fr", "French", "français", locales="fr-FR fr-FR fr-CM fr-SN",
         places="Paris/FR, Lyon/FR, Marseille/FR, Yaoundé/CM, Dakar/SN",
         organizations="open-speech-europe", tasks="ASR ASR ASR MT TTS LM NLU LLM",
         french="français"),
    plan("es", "Spanish", "español", locales="es-ES es-MX es-PE",
         places="Madrid/ES, Sevilla/ES, Puebla/MX, Lima/PE",
         organizations="open-speech-europe mesoamerica-language-lab", tasks="ASR ASR MT TTS LM NLU",
         spanish="español"),
    plan("pt", "Portuguese", "português", locales="pt-BR pt-PT pt-MZ",
         places="Recife/BR, Lisboa/PT, Maputo/MZ", organizations="open-speech-europe",
         tasks="ASR ASR MT MT TTS"),
    plan("de", "German", "Deutsch", locales="de-DE", places="Berlin, Leipzig",
         organizations="open-speech-europe", tasks="ASR TTS LM"),
    plan("cy", "Welsh", "Cymraeg", locales="cy-GB", places="Aberystwyth, Caernarfon",
         organizations="celtic-voices", tasks="ASR ASR TTS TTS MT", brands="Lleisiau'r Fro"),
    plan("ga", "Irish", "Gaeilge", locales="ga-IE", places="Connemara, Gaoth Dobhair",
         organizations="celtic-voices", tasks="ASR TTS TTS MT", brands="Glórtha na Gaeltachta"),
    plan("eu", "Basque", "euskara", locales="eu-ES", places="Donostia, Bilbo",
         organizations="celtic-voices", tasks="ASR ASR TTS TTS", spanish="euskera"),
    plan("ca", "Catalan", "català", locales="ca-ES", places="Barcelona, València",
         organizations="celtic-voices", tasks="ASR TTS MT LM", spanish="catalán"),
    plan("br", "Breton", "brezhoneg", locales="br-FR", places="Brest, Kemper",
         organizations="celtic-voices", tasks="ASR MT TTS", french="breton"),
    # The Americas
    plan("qu", "Quechua", "Runasimi", locales="qu-PE qu-PE qu-BO",
         places="Cusco/PE, Ayacucho/PE, Potosí/BO", organizations="andes-voices-collective",
         tasks="ASR ASR ASR ASR MT MT TTS TTS LM NLU", brands="Rimaykuna; Willakuykuna",
         spanish="quechua"),
    plan("ay", "Aymara", "Aymar aru", locales="ay-BO ay-PE",
         places="La Paz/BO, El Alto/BO, Puno/PE", organizations="andes-voices-collective",
         tasks="ASR ASR MT TTS TTS", spanish="aimara"),
    plan("gn", "Guarani", "Avañe'ẽ", locales="gn-PY", places="Asunción, Encarnación",
         organizations="tekopora-lab", tasks="ASR MT MT TTS LM", brands="Ñe'ẽ Porã",
         spanish="guaraní"),
    plan("yua", "Yucatec Maya", "Maaya t'aan", locales="yua-MX", places="Mérida, Valladolid",
         organizations="mesoamerica-language-lab", tasks="ASR MT TTS", spanish="maya yucateco"),
    plan("haw", "Hawaiian", "ʻŌlelo Hawaiʻi", locales="haw-US", places="Hilo, Honolulu",
         organizations="pacific-language-keepers", tasks="ASR MT CALL"),
    plan("nv", "Navajo", "Diné bizaad", locales="nv-US", places="Window Rock, Chinle",
         organizations="dine-language-center", tasks="ASR MT CALL"),
    plan("ht", "Haitian Creole", "Kreyòl ayisyen", locales="ht-HT",
         places="Port-au-Prince, Cap-Haïtien", organizations="kreyol-data-lab",
         tasks="ASR ASR MT TTS", french="créole haïtien"),
    plan("en", "English", "English", locales="en-US en-NG en-IN en-KE en-GB",
         places="Boston/US, Lagos/NG, Bangalore/IN, Nairobi/KE, Leeds/GB",
         organizations="global-english-speech", tasks="ASR ASR ASR TTS NLU LLM"),
    # Asia
    plan("hi", "Hindi", "हिन्दी", locales="hi-IN", places="Lucknow, Varanasi, Delhi",
         organizations="south-asia-speech-consortium", tasks="ASR ASR ASR MT TTS LM NLU LLM"),
    plan("bn", "Bengali", "বাংলা", locales="bn-BD bn-IN", places="Dhaka/BD, Sylhet/BD, Kolkata/IN",
         organizations="south-asia-speech-consortium", tasks="ASR ASR MT TTS LM LM"),
    plan("ta", "Tamil", "தமிழ்", locales="ta-IN ta-LK", places="Chennai/IN, Madurai/IN, Jaffna/LK",
         organizations="south-asia-speech-consortium", tasks="ASR ASR ASR MT MT TTS LM"),
    plan("te", "Telugu", "తెలుగు", locales="te-IN", places="Hyderabad, Vijayawada",
         organizations="south-asia-speech-consortium", tasks="ASR MT TTS"),
    plan("mr", "Marathi", "मराठी", locales="mr-IN", places="Pune, Nagpur",
         organizations="south-asia-speech-consortium", tasks="ASR MT LM"),
    plan("ne", "Nepali", "नेपाली", locales="ne-NP", places="Kathmandu, Pokhara",
         organizations="south-asia-speech-consortium", tasks="ASR ASR MT TTS"),
    plan("ur", "Urdu", "اردو", locales="ur-PK", places="Lahore, Karachi",
         organizations="south-asia-speech-consortium", tasks="ASR ASR MT LM"),
    plan("ps", "Pashto", "پښتو", locales="ps-AF", places="Kabul, Kandahar",
         organizations="silk-road-language-lab", tasks="ASR MT TTS"),
    plan("fa", "Persian", "فارسی", locales="fa-IR", places="Tehran, Shiraz, Isfahan",
         organizations="silk-road-language-lab", tasks="ASR ASR MT LM"),
    plan("tr", "Turkish", "Türkçe", locales="tr-TR", places="Istanbul, Ankara, Izmir",
         organizations="silk-road-language-lab", tasks="ASR ASR MT NLU"),
    plan("uz", "Uzbek", "oʻzbekcha", locales="uz-UZ", places="Tashkent, Samarkand",
         organizations="silk-road-language-lab", tasks="ASR MT LM"),
    plan("kk", "Kazakh", "қазақ тілі", locales="kk-KZ", places="Almaty, Astana",
         organizations="silk-road-language-lab", tasks="ASR MT TTS"),
    plan("mn", "Mongolian", "монгол хэл", locales="mn-MN", places="Ulaanbaatar, Darkhan",
         organizations="silk-road-language-lab", tasks="ASR MT TTS"),
    plan("vi", "Vietnamese", "Tiếng Việt", locales="vi-VN", places="Hanoi, Huế, Saigon",
         organizations="mekong-nlp", tasks="ASR ASR MT LM LM"),
    plan("th", "Thai", "ภาษาไทย", locales="th-TH", places="Bangkok, Chiang Mai",
         organizations="mekong-nlp", tasks="ASR ASR MT TTS"),
    plan("km", "Khmer", "ភាសាខ្មែរ", locales="km-KH", places="Phnom Penh, Siem Reap",
         organizations="mekong-nlp", tasks="ASR MT CV"),
    plan("my", "Burmese", "မြန်မာဘာသာ", locales="my-MM", places="Yangon, Mandalay",
         organizations="mekong-nlp", tasks="ASR MT CV"),
    plan("id", "Indonesian", "Bahasa Indonesia", locales="id-ID", places="Jakarta, Bandung, Medan",
         organizations="nusantara-voices", tasks="ASR ASR MT LM RAG"),
    plan("jv", "Javanese", "Basa Jawa", locales="jv-ID", places="Yogyakarta, Surakarta",
         organizations="nusantara-voices", tasks="ASR MT TTS"),
    plan("tl", "Tagalog", "Tagalog", locales="tl-PH", places="Manila, Quezon City",
         organizations="nusantara-voices", tasks="ASR MT MT NLU"),
    # Oceania
    plan("mi", "Māori", "te reo Māori", locales="mi-NZ", places="Rotorua, Gisborne",
         organizations="pacific-language-keepers", tasks="ASR ASR TTS MT",
         brands="Ngā Reo o te Whenua"),
    plan("sm", "Samoan", "Gagana Samoa", locales="sm-WS", places="Apia, Salelologa",
         organizations="pacific-language-keepers", tasks="ASR MT TTS"),
    plan("to", "Tongan", "lea faka-Tonga", locales="to-TO", places="Nukuʻalofa, Neiafu",
         organizations="pacific-language-keepers", tasks="ASR MT OTH"),
    plan("fj", "Fijian", "Na Vosa Vakaviti", locales="fj-FJ", places="Suva, Lautoka",
         organizations="pacific-language-keepers", tasks="ASR MT NLG"),
)  # fmt: skip
BY_CODE = {plan.code: plan for plan in LANGUAGES}

# --- Tasks, formats, licences, prices ------------------------------------------------

# The tasks of the benchmark's filler datasets (the evaluation's own follow their plans).
TASK_WEIGHTS = {
    "ASR": 34, "MT": 22, "TTS": 14, "LM": 10, "NLU": 7, "LID": 3, "NLP": 3, "NLG": 2,
    "LLM": 2, "CALL": 1, "RAG": 1, "OTH": 1, "CV": 1,
}  # fmt: skip
FORMATS = {
    "ASR": {"WAV": 50, "MP3": 25, "FLAC": 15, "OGG": 10},
    "TTS": {"WAV": 70, "FLAC": 30},
    "MT": {"TSV": 40, "CSV": 25, "JSONL": 25, "TXT": 10},
    "LM": {"TXT": 50, "JSONL": 35, "PARQUET": 15},
    "NLU": {"CSV": 40, "JSON": 30, "JSONL": 30},
    "LID": {"WAV": 60, "MP3": 40},
    "NLP": {"CONLLU": 60, "TSV": 40},
    "NLG": {"JSONL": 100},
    "LLM": {"JSONL": 100},
    "CALL": {"MP3": 100},
    "RAG": {"JSON": 100},
    "OTH": {"WAV": 100},
    "CV": {"PNG": 100},
}
LICENCE_WEIGHTS = {
    "CC-BY-4.0": 34, "CC-BY-SA-4.0": 12, "CC0-1.0": 12, "CC-BY-NC-4.0": 14,
    "CC-BY-NC-SA-4.0": 10, "NOODL-1.0": 5, "CC-BY-ND-4.0": 3, "ODbL-1.0": 3,
    "Apache-2.0": 3, "MIT": 2,
}  # fmt: skip
# In US cents. The ceilings of the cases ($20, $30, $50, $100, $200) fall between them, with or
# without the platform's fee on top (up to 10%), so a ceiling means the same either way.
PRICES_CENTS = (500, 1500, 2500, 4500, 7500, 12000, 25000, 60000)


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _weighted(rng: Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- One dataset ---------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One generated dataset, as the evaluation knows it."""

    slug: str
    name: str
    short_description: str
    long_description: str
    locale: str
    language: str
    task: str
    format: str
    licence: str
    organization: str
    price_cents: int = 0  # 0: free
    visibility: str = "public"
    auto_approve: bool = False
    purposes: frozenset[str] = frozenset()  # the terms' purposes; empty: any
    geography: tuple[str, tuple[str, ...]] = ("anywhere", ())  # (mode, places)
    pair: str = ""  # a translation dataset's other language: "en", "fr" or "es"

    @property
    def region(self) -> str:
        """The locale's ISO 3166 region, "" when it has none."""
        parts = self.locale.split("-")
        return parts[-1] if len(parts) > 1 and len(parts[-1]) == 2 else ""

    @property
    def is_paid(self) -> bool:
        return self.price_cents > 0

    @property
    def is_private(self) -> bool:
        return self.visibility == "private"

    @property
    def has_terms(self) -> bool:
        """Whether terms beyond what the MDC fields say must be set after the import."""
        return bool(self.purposes) or self.geography[0] != "anywhere"

    def allows(self, purpose: str) -> bool:
        """Whether the licence and the terms allow this purpose (commercial, research, ...)."""
        if self.purposes and purpose not in self.purposes:
            return False
        return purpose != "commercial" or PREDEFINED[self.licence].commercial_use

    def available_in(self, country: str) -> bool:
        mode, places = self.geography
        return Geography(GeographyMode(mode), frozenset(places)).admits(country)

    def usage_policy(self) -> dict[str, Any]:
        """The terms `change_terms` sets after the import (the keys that differ)."""
        policy: dict[str, Any] = {}
        if self.purposes:
            policy["purposes"] = sorted(self.purposes)
        if self.geography[0] != "anywhere":
            policy["geography"] = {"mode": self.geography[0], "places": list(self.geography[1])}
        return policy

    def import_line(self) -> str:
        """The dataset in the MDC shape, as `steward import-catalog` reads it."""
        org_name, _ = ORGANIZATIONS.get(self.organization, (self.organization, ""))
        contact = self.organization.split("-")[0]
        data = {
            "name": self.name,
            "slug": self.slug,
            "shortDescription": self.short_description,
            "longDescription": self.long_description,
            "locale": self.locale,
            "task": self.task,
            "format": self.format,
            "licenseAbbreviation": self.licence,
            "visibility": self.visibility,
            "autoApproveAccessRequests": self.auto_approve,
            "isPaid": self.is_paid,
            "basePriceCents": self.price_cents or None,
            "currency": "usd" if self.is_paid else None,
            "pointOfContactFullName": f"{org_name} data team",
            "pointOfContactEmail": f"data@{contact}.example.org",
            "organization": {"slug": self.organization, "name": org_name},
        }
        return json.dumps(data, ensure_ascii=False)


# --- Names and descriptions ------------------------------------------------------------

# Dataset names by task: {x} is the English name or the autonym, {p} a place.
NAMES = {
    "ASR": (
        "{x} Read Speech",
        "{x} Conversational Speech Corpus",
        "{x} Radio Transcripts",
        "{x} Telephone Speech",
        "{x} Children's Speech",
        "{p} {x} Speech Recordings",
        "{x} Spontaneous Speech",
        "{x} Voices",
    ),
    "TTS": (
        "{x} TTS Voices",
        "{x} Single-Speaker Studio Recordings",
        "{x} Speech Synthesis Corpus",
        "{x} Expressive Voice Corpus",
    ),
    "MT": (
        "{x}-English Parallel Corpus",
        "{x}-English Parallel Sentences",
        "{x} Bible Translations, Aligned",
        "{x}-English News Translations",
    ),
    "LM": ("{x} Web Text Corpus", "{x} News Text", "{x} Books and Stories", "{x} Monolingual Text"),
    "NLU": (
        "{x} Intent Classification",
        "{x} Sentiment Tweets",
        "{x} Named Entities",
        "{x} Question Answering",
    ),
    "LID": ("{x} Dialect Identification Clips", "{x} Language ID Clips"),
    "NLP": ("{x} Part-of-Speech Treebank", "{x} Morphological Lexicon"),
    "NLG": ("{x} Story Generation Prompts", "{x} Headline Generation Pairs"),
    "LLM": ("{x} Instruction Tuning Set", "{x} Chat Dialogues"),
    "CALL": ("{x} Pronunciation Lessons", "{x} Learner Speech"),
    "RAG": ("{x} Health Questions and Documents",),
    "OTH": ("{x} Keyword Spotting Commands",),
    "CV": ("{x} Handwriting Samples",),
}
# Names without the language, when a language has no (more) brand names.
PLACE_NAMES = {
    "ASR": (
        "{p} Market Conversations",
        "Voices of {p}",
        "{p} Community Radio Archive",
        "{p} Sermons, Transcribed",
    ),
    "TTS": ("A Voice from {p}", "{p} Narrators"),
    "MT": ("{p} Bilingual News Pairs", "{p} Court Interpreting Pairs"),
    "LM": ("{p} Newspaper Archive", "{p} Blogs and Forums"),
    "NLU": ("{p} Helpline Intents", "{p} Customer Reviews"),
    "LID": ("{p} Dialects",),
    "NLP": ("{p} Treebank",),
    "NLG": ("{p} Storytellers",),
    "LLM": ("{p} Assistant Dialogues",),
    "CALL": ("{p} Classroom Lessons",),
    "RAG": ("{p} Clinic Leaflets",),
    "OTH": ("{p} Wake Words",),
    "CV": ("{p} Signboards",),
}
# What the datasets of each task are good for, in the long descriptions.
USES = {
    "ASR": "training and evaluating speech recognition (speech-to-text) models",
    "TTS": "building text-to-speech voices",
    "MT": "training machine translation systems",
    "LM": "pretraining and fine-tuning language models",
    "NLU": "intent detection, sentiment analysis and entity recognition",
    "LID": "spoken language and dialect identification",
    "NLP": "tagging, parsing and morphological analysis",
    "NLG": "text generation and summarisation",
    "LLM": "fine-tuning large language models and chat assistants",
    "CALL": "language learning applications",
    "RAG": "retrieval-augmented question answering",
    "OTH": "keyword spotting on small devices",
    "CV": "handwriting and scene-text recognition",
}
SPEECH_STYLES = ("read", "conversational", "spontaneous", "broadcast", "telephone")
TEXT_SOURCES = ("news sites", "community radio scripts", "school books", "public notices",
                "folk tales", "parliamentary records")  # fmt: skip


def _short_description(rng: Random, task: str, language: str, place: str) -> str:
    """English; `language` is how the dataset names its language ("" for not at all)."""
    in_language = f" in {language}" if language else ""
    hours = rng.choice((4, 8, 12, 25, 40, 120, 300))
    count = rng.choice((5_000, 12_000, 40_000, 150_000, 1_200_000))
    if task in ("ASR", "LID", "OTH"):
        style = rng.choice(SPEECH_STYLES)
        return f"{hours} hours of {style} speech{in_language} recorded in {place}, transcribed."
    if task in ("TTS", "CALL"):
        return f"{hours} hours of studio recordings{in_language} by voice actors from {place}."
    if task == "MT":
        pairs = f"{language}-English sentence pairs" if language else "pairs of English sentences"
        return f"{count:,} {pairs} from {place} news and stories."
    if task == "CV":
        return f"{count:,} photographed handwritten and printed words{in_language} from {place}."
    if task == "NLU":
        return f"{count:,} utterances{in_language} labelled with intents, sentiment and entities."
    if task in ("LLM", "NLG", "RAG"):
        return f"{count:,} prompts and answers{in_language}, written by people from {place}."
    return f"{count:,} texts{in_language} from {rng.choice(TEXT_SOURCES)} in {place}."


def _french_description(rng: Random, task: str, language: str, place: str) -> str:
    hours = rng.choice((5, 10, 20, 60))
    if task in ("ASR", "LID", "OTH", "TTS", "CALL"):
        return f"{hours} heures d'enregistrements en {language} faits à {place}, transcrits."
    if task == "MT":
        other = "anglais" if language == "français" else "français"
        return f"Phrases alignées {language}-{other}, recueillies à {place}."
    return f"Textes en {language} recueillis à {place} : presse, contes et radio."


def _spanish_description(rng: Random, task: str, language: str, place: str) -> str:
    hours = rng.choice((5, 10, 20, 60))
    if task in ("ASR", "LID", "OTH", "TTS", "CALL"):
        return f"{hours} horas de grabaciones en {language} hechas en {place}, transcritas."
    if task == "MT":
        other = "inglés" if language == "español" else "español"
        return f"Oraciones alineadas {language}-{other}, recogidas en {place}."
    return f"Textos en {language} recogidos en {place}: prensa, cuentos y radio."


@dataclass
class _Slugs:
    taken: set[str] = field(default_factory=set)

    def new(self, name: str, language: str = "") -> str:
        """A free slug for `name`; a name partly in another script (which slugify drops)
        starts with the language's English name, as a publisher would write it."""
        base = slugify(name)
        if language and not fold(name).isascii():
            base = slugify(f"{language} {name}")
        base = base[:100].strip("-") or "dataset"
        slug, number = base, 2
        while slug in self.taken:
            slug, number = f"{base}-{number}", number + 1
        self.taken.add(slug)
        return slug


# Where descriptions are sometimes written in French or Spanish (the locale's region).
FRENCH_SPEAKING = _codes("BJ CD CG CM DZ FR HT MA MG ML NE SN TG")
SPANISH_SPEAKING = _codes("BO ES MX PE PY")


def _places_for(plan: LanguagePlan, locale: str) -> list[str]:
    """The plan's places for a locale: "Zanzibar/TZ" is a place in TZ, "Durban" anywhere."""
    region = locale.split("-")[-1] if "-" in locale else ""
    fits = [p.split("/")[0] for p in plan.places if p.endswith(f"/{region}") or "/" not in p]
    return fits or [p.split("/")[0] for p in plan.places]


def _entry(
    rng: Random, plan: LanguagePlan, index: int, task: str, slugs: _Slugs, brands: list[str]
) -> Entry:
    locale = rng.choice(plan.locales) if index else plan.locales[0]
    region = locale.split("-")[-1] if "-" in locale else ""
    place = rng.choice(_places_for(plan, locale))
    style = rng.choices(("english", "autonym", "neither"), weights=(55, 25, 20))[0]
    if style == "neither":
        name = brands.pop(0) if brands else rng.choice(PLACE_NAMES[task]).format(p=place)
    else:
        x = plan.english if style == "english" else plan.autonym
        name = rng.choice(NAMES[task]).format(x=x, p=place)
    # A name that says neither keeps the language out of the short description too, now and
    # then: only the locale (and the long description) tells.
    said = plan.autonym if style == "autonym" else plan.english
    if style == "neither" and rng.random() < 0.4:
        said = ""
    short = _short_description(rng, task, said, place)
    use = f"Suitable for {USES[task]}."
    long = (
        f"{short} Contributors gave their informed consent; every item was checked by a second"
        f" speaker of {plan.english} ({plan.autonym}). {use}"
    )
    pair = "en" if task == "MT" else ""
    if plan.french and region in FRENCH_SPEAKING and rng.random() < 0.5:
        short = _french_description(rng, task, plan.french, place)
        long = f"{short} Les participants ont donné leur consentement éclairé. {use}"
        pair = ("en" if plan.code == "fr" else "fr") if pair else ""
    elif plan.spanish and region in SPANISH_SPEAKING and rng.random() < 0.5:
        short = _spanish_description(rng, task, plan.spanish, place)
        long = f"{short} Los participantes dieron su consentimiento informado. {use}"
        pair = ("en" if plan.code == "es" else "es") if pair else ""
    licence = _weighted(rng, LICENCE_WEIGHTS)
    if index == 0:
        # The first dataset of a language is free, public and open to any use, so that every
        # language has one.
        licence = rng.choice(("CC-BY-4.0", "CC0-1.0", "CC-BY-SA-4.0"))
    paid = index > 0 and rng.random() < 0.22
    restricted = index > 0 and rng.random() < 0.15
    return Entry(
        slug=slugs.new(name, plan.english),
        name=name,
        short_description=short,
        long_description=long,
        locale=locale,
        language=plan.code,
        task=task,
        format=_weighted(rng, FORMATS[task]),
        licence=licence,
        organization=rng.choice(plan.organizations),
        price_cents=rng.choice(PRICES_CENTS) if paid else 0,
        visibility="restricted" if restricted else "public",
        auto_approve=restricted and rng.random() < 0.5,
        pair=pair,
    )


# Private datasets: in the languages people ask for most, so that a leak would show.
PRIVATE = (("sw", "ASR"), ("sw", "MT"), ("ha", "ASR"), ("yo", "MT"), ("zu", "TTS"),
           ("qu", "ASR"), ("ewo", "ASR"), ("am", "MT"), ("cy", "ASR"))  # fmt: skip


def _private_entries(slugs: _Slugs) -> list[Entry]:
    out = []
    for code, task in PRIVATE:
        plan = BY_CODE[code]
        name = f"{plan.english} {'Speech' if task == 'ASR' else 'Parallel Text'} (internal)"
        if task == "TTS":
            name = f"{plan.english} Voice Talent Recordings (internal)"
        out.append(
            Entry(
                slug=slugs.new(name),
                name=name,
                short_description=f"Unreleased {plan.english} data, kept for the archive's team.",
                long_description=f"Working copy of {plan.english} ({plan.autonym}) recordings"
                " and texts before review. Not for distribution.",
                locale=plan.locales[0],
                language=code,
                task=task,
                format="WAV" if task in ("ASR", "TTS") else "TSV",
                licence="CC-BY-4.0",
                organization=plan.organizations[0],
                visibility="private",
            )
        )
    return out


def _with_terms(rng: Random, entries: list[Entry]) -> list[Entry]:
    """Some datasets get terms the import cannot express: purposes and countries."""
    by_slug = {e.slug: e for e in entries}
    open_public = sorted(
        e.slug for e in entries if e.visibility == "public" and PREDEFINED[e.licence].commercial_use
    )
    chosen = rng.sample(open_public, 22)
    for slug in chosen[:15]:
        by_slug[slug] = replace(by_slug[slug], purposes=frozenset({"research", "education"}))
    for slug in chosen[15:19]:
        by_slug[slug] = replace(by_slug[slug], purposes=frozenset({"education"}))
    for slug in chosen[19:]:
        by_slug[slug] = replace(by_slug[slug], purposes=frozenset({"research"}))

    def listed(codes: Iterable[str]) -> list[str]:
        wanted = set(codes)
        return sorted(e.slug for e in by_slug.values() if e.language in wanted and not e.is_private)

    african = [p.code for p in LANGUAGES if p.locales[0].split("-")[-1] in REGIONS["AFRICA"]]
    for slug in rng.sample(listed(african), 10):
        by_slug[slug] = replace(by_slug[slug], geography=("allow", ("AFRICA",)))
    for slug in rng.sample(listed(["sw"]), 3):
        by_slug[slug] = replace(by_slug[slug], geography=("allow", ("KE", "TZ", "UG", "RW")))
    for slug in rng.sample(listed(["sw", "ha", "yo", "zu", "am"]), 3):
        by_slug[slug] = replace(by_slug[slug], geography=("deny", ("US",)))
    for slug in rng.sample(listed(["cy", "ga", "eu", "ca", "br", "fr", "de"]), 3):
        by_slug[slug] = replace(by_slug[slug], geography=("allow", ("EU",)))
    for slug in rng.sample(listed(["hi", "bn", "ta", "qu", "ay"]), 3):
        by_slug[slug] = replace(by_slug[slug], geography=("deny", ("CN", "RU")))
    return [by_slug[e.slug] for e in entries]


@lru_cache(maxsize=4)
def catalogue(seed: int = SEED) -> tuple[Entry, ...]:
    """The evaluation catalogue: about 350 datasets, the same for the same seed."""
    rng = Random(seed)
    slugs = _Slugs()
    entries: list[Entry] = []
    for language in LANGUAGES:
        brands = list(language.brands)
        first, *others = language.tasks.split()
        rng.shuffle(others)
        entries += [
            _entry(rng, language, index, task, slugs, brands)
            for index, task in enumerate([first, *others])
        ]
    entries = _with_terms(rng, entries)
    entries += _private_entries(slugs)
    return tuple(entries)


# --- Filler, for the benchmark's large catalogue ----------------------------------------


def filler(count: int, *, seed: int = SEED + 1, taken: Iterable[str] = ()) -> list[Entry]:
    """`count` more datasets in several hundred languages, named and described plainly, with no
    terms beyond the MDC fields (so `steward import-catalog` publishes them as they are)."""
    from steward.catalog.languages import iter_languages

    rng = Random(seed)
    slugs = _Slugs(set(taken))
    # Languages with a two-letter code, and the evaluation's own (a third of the filler), so
    # that the evaluation's requests meet many more candidates.
    others = sorted(
        (info.code, info.name, info.autonym or info.name)
        for info in iter_languages()
        if len(info.code) == 2
    )
    ours = [(p.code, p.english, p.autonym) for p in LANGUAGES]
    organizations = [f"filler-archive-{number:03d}" for number in range(200)]
    out = []
    for _ in range(count):
        code, english, autonym = rng.choice(ours if rng.random() < 1 / 3 else others)
        task = _weighted(rng, TASK_WEIGHTS)
        x = english if rng.random() < 0.7 else autonym
        name = rng.choice(NAMES[task]).format(x=x, p="Regional")
        plan = BY_CODE.get(code)
        locale = rng.choice(plan.locales) if plan else code
        place = rng.choice(_places_for(plan, locale)) if plan else "the community"
        short = _short_description(rng, task, english, place)
        paid = rng.random() < 0.2
        visibility = rng.choices(("public", "restricted", "private"), weights=(82, 15, 3))[0]
        out.append(
            Entry(
                slug=slugs.new(name, english),
                name=name,
                short_description=short,
                long_description=f"{short} Suitable for {USES[task]}.",
                locale=locale,
                language=code,
                task=task,
                format=_weighted(rng, FORMATS[task]),
                licence=_weighted(rng, LICENCE_WEIGHTS),
                organization=rng.choice(organizations),
                price_cents=rng.choice(PRICES_CENTS) if paid else 0,
                visibility=visibility,
                auto_approve=visibility == "restricted" and rng.random() < 0.5,
                pair="en" if task == "MT" else "",
            )
        )
    return out


# --- Installing it -----------------------------------------------------------------------


def install_catalogue(entries: Iterable[Entry] | None = None) -> dict[str, Any]:
    """Publish `entries` (by default the evaluation catalogue) through the product's services:
    the organizations, owned by one keeper; `import_catalog`; then `change_terms` for the
    datasets whose terms the MDC fields cannot express. Returns {slug: Dataset}."""
    from steward.accounts.models import User
    from steward.accounts.services import create_user
    from steward.catalog.models import Dataset
    from steward.catalog.services import change_terms, import_catalog
    from steward.organizations.models import Organization
    from steward.organizations.services import create_organization

    entries = list(catalogue() if entries is None else entries)
    keeper = User.objects.filter(username=KEEPER).first() or create_user(
        KEEPER, email=f"{KEEPER}@example.org"
    )
    for slug in sorted({e.organization for e in entries}):
        if not Organization.objects.filter(slug=slug).exists():
            name, country = ORGANIZATIONS.get(slug, (slug.replace("-", " ").title(), ""))
            create_organization(slug, name=name, owner=keeper, approved=True, country=country)
    report = import_catalog(e.import_line() for e in entries)
    if report.errors:
        raise ValueError(f"the evaluation catalogue did not import: {report.errors[:5]}")
    datasets = Dataset.objects.in_bulk([e.slug for e in entries], field_name="slug")
    for entry in entries:
        if entry.has_terms:
            change_terms(datasets[entry.slug], actor=keeper, usage_policy=entry.usage_policy())
    return datasets


# --- Places ------------------------------------------------------------------------------

# UN M49 sub-regions (as CLDR's territory containment has them) that the cases name.
REGION_COUNTRIES: dict[str, frozenset[str]] = {
    "WESTERN_AFRICA": _codes("BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG"),
    "EASTERN_AFRICA": _codes("BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW"),
    "SOUTHERN_AFRICA": _codes("BW LS NA SZ ZA"),
    "SOUTHERN_ASIA": _codes("AF BD BT IN IR LK MV NP PK"),
    "SOUTH_EASTERN_ASIA": _codes("BN ID KH LA MM MY PH SG TH TL VN"),
    "CENTRAL_ASIA": _codes("KG KZ TJ TM UZ"),
    "SOUTH_AMERICA": _codes("AR BO BR CL CO EC GY PE PY SR UY VE"),
}


def place_countries(place: str) -> frozenset[str]:
    return REGION_COUNTRIES.get(place, frozenset({place}))


@lru_cache(maxsize=64)
def spoken_in(place: str) -> frozenset[str]:
    """The languages CLDR says are spoken in a country or region."""
    countries = place_countries(place)
    return frozenset(
        key.split("-")[0]
        for key in LANGUAGE_SPEAKING_POPULATION
        if "-" in key and key.split("-")[-1] in countries
    )


# A language is "of" a place when at least this share of its speakers (CLDR) live there.
LOCAL_SHARE = 0.15


@lru_cache(maxsize=1)
def world_languages() -> frozenset[str]:
    """Languages CLDR counts a million speakers of on three continents or more (English,
    French, Spanish, Portuguese, German, Punjabi): only a locale's region ties them to a place."""
    continents: dict[str, set[str]] = {}
    for key, speakers in LANGUAGE_SPEAKING_POPULATION.items():
        if "-" in key and speakers >= 1_000_000:
            language, territory = key.split("-")[0], key.split("-")[-1]
            for continent in CONTINENTS:
                if territory in REGIONS[continent]:
                    continents.setdefault(language, set()).add(continent)
    return frozenset(language for language, found in continents.items() if len(found) >= 3)


@lru_cache(maxsize=256)
def share_in(language: str, place: str) -> float:
    """The share of a language's speakers (CLDR) who live in a country or region."""
    total = LANGUAGE_SPEAKING_POPULATION.get(language) or 0
    inside = sum(
        LANGUAGE_SPEAKING_POPULATION.get(f"{language}-{country}", 0)
        for country in place_countries(place)
    )
    return inside / total if total else 0.0


def of_place(entry: Entry, place: str) -> bool:
    """A dataset "of" a place: its locale's region is there, or its language is of the place
    (LOCAL_SHARE of its speakers live there) and not a world language. "Languages spoken in
    Peru" expects Quechua and Aymara from Bolivia too, and Spanish from Peru; "languages
    spoken in Cameroon" expects Ewondo and French from Cameroon, but not French from France,
    which is still a language spoken there (`spoken_in`): not expected, and no violation."""
    if entry.region and entry.region in place_countries(place):
        return True
    return entry.language not in world_languages() and (
        share_in(entry.language, place) >= LOCAL_SHARE
    )


# --- What a case wants -------------------------------------------------------------------


@dataclass(frozen=True)
class Want:
    """What the datasets of a good answer are; an empty field asks nothing."""

    languages: frozenset[str] = frozenset()  # shortest ISO 639 codes
    locales: frozenset[str] = frozenset()  # exact BCP-47 tags
    place: str = ""  # ISO 3166 country or a REGION_COUNTRIES key
    tasks: frozenset[str] = frozenset()
    formats: frozenset[str] = frozenset()
    free: bool = False
    max_price_cents: int | None = None  # inclusive
    purpose: str = ""  # research, education, non_commercial, commercial
    country: str = ""  # where the user is: the dataset must be available there
    # The other language of translation pairs ("en"): only a preference, never a violation.
    pair: str = ""

    def expects(self, entry: Entry) -> bool:
        if entry.is_private:
            return False
        if self.pair and entry.pair != self.pair:
            return False
        if self.languages and entry.language not in self.languages:
            return False
        if self.locales and entry.locale not in self.locales:
            return False
        if self.place and not of_place(entry, self.place):
            return False
        return not self.broken_by(entry)

    def broken_by(self, entry: Entry, action: str = "") -> list[str]:
        """The stated constraints `entry` breaks, by name. A dataset in another language is
        a violation; one of the right language from another place, or of another locale of
        it, only misses recall. So does a dataset not available in the user's country, when
        the answer says it is unavailable (`action`)."""
        broken = []
        languages = set(self.languages) | {tag.split("-")[0] for tag in self.locales}
        if languages and entry.language not in languages:
            broken.append("language")
        if (
            self.place
            and entry.language not in spoken_in(self.place)
            and not of_place(entry, self.place)
        ):
            broken.append("language")
        if self.tasks and entry.task not in self.tasks:
            broken.append("task")
        if self.formats and entry.format not in self.formats:
            broken.append("format")
        if self.free and entry.is_paid:
            broken.append("free")
        if self.max_price_cents is not None and entry.price_cents > self.max_price_cents:
            broken.append("price")
        if self.purpose and not entry.allows(self.purpose):
            broken.append("commercial" if self.purpose == "commercial" else "purpose")
        if self.country and not entry.available_in(self.country) and action != "unavailable":
            broken.append("country")
        return broken


# What the cases exercise, by the prefix of their names.
GROUPS = {
    "en": "English names, task words",
    "auto": "autonyms",
    "code": "ISO 639 codes, BCP-47 tags",
    "place": "countries, demonyms, regions",
    "fr": "tasks in other languages",
    "es": "tasks in other languages",
    "sw": "tasks in other languages",
    "de": "tasks in other languages",
    "pt": "tasks in other languages",
    "lic": "licences and purposes",
    "ctx": "context sent by the client",
    "free": "free only, price ceilings",
    "price": "free only, price ceilings",
    "fmt": "formats",
    "country": "the user's country",
    "turns": "several turns",
}


@dataclass(frozen=True)
class Case:
    """A request: the user's turns (a client sends each with the replies before it), an
    optional context, and what a good final answer holds."""

    name: str
    turns: tuple[str, ...]
    want: Want
    context: dict[str, str] | None = None
    covers: str = ""  # what the case exercises, for the reports

    @property
    def group(self) -> str:
        return GROUPS.get(self.name.split("-")[0], "other")

    @property
    def constraints(self) -> Want:
        """`want` with what the context states: the country and the purpose."""
        context = self.context or {}
        changes: dict[str, Any] = {}
        if context.get("country") and not self.want.country:
            changes["country"] = context["country"]
        if context.get("purpose") and not self.want.purpose:
            changes["purpose"] = context["purpose"]
        return replace(self.want, **changes) if changes else self.want


def want(
    languages: str = "",
    *,
    locales: str = "",
    place: str = "",
    tasks: str = "",
    formats: str = "",
    free: bool = False,
    max_usd: int | None = None,
    purpose: str = "",
    country: str = "",
    pair: str = "",
) -> Want:
    """A Want from space-separated codes: want("sw", tasks="ASR", free=True)."""
    return Want(
        languages=frozenset(languages.split()),
        locales=frozenset(locales.split()),
        place=place,
        tasks=frozenset(tasks.split()),
        formats=frozenset(formats.split()),
        free=free,
        max_price_cents=None if max_usd is None else max_usd * 100,
        purpose=purpose,
        country=country,
        pair=pair,
    )


def case(
    name: str, *turns: str, context: dict[str, str] | None = None, covers: str = "", **wanted
) -> Case:
    languages = wanted.pop("languages", "")
    return Case(name, turns, want(languages, **wanted), context, covers)


C = case
CASES: tuple[Case, ...] = (
    # English names
    C("en-swahili-asr", "i'm looking for swahili speech recognition datasets",
      languages="sw", tasks="ASR", covers="english name"),
    C("en-hausa-lm", "Do you have any Hausa text I could use to train a language model?",
      languages="ha", tasks="LM", covers="english name"),
    C("en-yoruba-mt", "yoruba to english translation data", languages="yo", tasks="MT",
      pair="en", covers="english name"),
    C("en-zulu-tts", "I need Zulu voice recordings for text to speech", languages="zu",
      tasks="TTS", covers="english name"),
    C("en-amharic-asr", "amharic asr corpus please", languages="am", tasks="ASR",
      covers="english name"),
    C("en-quechua-asr", "Looking for Quechua audio with transcripts to train ASR",
      languages="qu", tasks="ASR", covers="english name"),
    C("en-welsh-asr", "welsh speech data for a speech recognizer", languages="cy", tasks="ASR",
      covers="english name"),
    C("en-lingala-mt", "Is there anything in Lingala for machine translation?", languages="ln",
      tasks="MT", covers="english name"),
    C("en-kinyarwanda-nlu", "kinyarwanda data for intent classification or sentiment (NLU)",
      languages="rw", tasks="NLU", covers="english name"),
    C("en-tamil-asr", "tamil speech-to-text training data", languages="ta", tasks="ASR",
      covers="english name"),
    C("en-igbo-any", "I want Igbo datasets", languages="ig", covers="english name"),
    C("en-basque-tts", "Basque TTS voices", languages="eu", tasks="TTS", covers="english name"),
    C("en-somali-lm", "somali news text for language modelling", languages="so", tasks="LM",
      covers="english name"),
    C("en-guarani-mt", "guarani parallel corpus, ideally with english", languages="gn",
      tasks="MT", covers="english name"),
    C("en-vietnamese-asr", "vietnamese speech recognition", languages="vi", tasks="ASR",
      covers="english name"),
    C("en-ewondo-any", "do you have ewondo recordings or texts?", languages="ewo",
      covers="english name"),
    C("en-nepali-asr", "nepali asr dataset", languages="ne", tasks="ASR", covers="english name"),
    C("en-wolof-asr", "datasets for wolof speech recognition", languages="wo", tasks="ASR",
      covers="english name"),
    C("en-hawaiian-any", "Hawaiian language data", languages="haw", covers="english name"),
    C("en-maori-asr", "maori speech recognition", languages="mi", tasks="ASR",
      covers="english name"),
    C("en-bengali-lm", "bengali text corpus to pretrain a language model", languages="bn",
      tasks="LM", covers="english name (CLDR says Bangla)"),
    C("en-kazakh-any", "anything in kazakh?", languages="kk", covers="english name"),
    C("en-tagalog-mt", "tagalog english translation pairs", languages="tl", tasks="MT",
      pair="en", covers="english name"),
    C("en-haitian-asr", "haitian creole speech recognition data", languages="ht", tasks="ASR",
      covers="english name"),
    C("en-typo-swahili", "swahilli speech recogntion datasets", languages="sw", tasks="ASR",
      covers="english name, typos"),
    C("en-typo-amharic", "amharik translation corpus", languages="am", tasks="MT",
      covers="english name, typos"),
    # Autonyms
    C("auto-kiswahili-asr", "kiswahili asr data", languages="sw", tasks="ASR", covers="autonym"),
    C("auto-isizulu-tts", "isiZulu speech synthesis corpus", languages="zu", tasks="TTS",
      covers="autonym"),
    C("auto-yoruba-mt", "Yorùbá machine translation data", languages="yo", tasks="MT",
      covers="autonym"),
    C("auto-runasimi-asr", "Runa Simi speech recordings for ASR", languages="qu", tasks="ASR",
      covers="autonym"),
    C("auto-gaeilge-any", "datasets in Gaeilge", languages="ga", covers="autonym"),
    C("auto-cymraeg-tts", "Cymraeg text to speech", languages="cy", tasks="TTS",
      covers="autonym"),
    C("auto-euskara-asr", "euskara speech recognition", languages="eu", tasks="ASR",
      covers="autonym"),
    C("auto-oromoo-lm", "Afaan Oromoo text for a language model", languages="om", tasks="LM",
      covers="autonym"),
    C("auto-dine-any", "Diné bizaad recordings", languages="nv", covers="autonym"),
    C("auto-reo-maori-asr", "te reo Māori speech recognition data", languages="mi", tasks="ASR",
      covers="autonym"),
    C("auto-ikinyarwanda-asr", "Ikinyarwanda ASR", languages="rw", tasks="ASR",
      covers="autonym"),
    C("auto-luganda-mt", "luganda translation data", languages="lg", tasks="MT",
      covers="autonym (English: Ganda)"),
    C("auto-isixhosa-any", "anything in isiXhosa", languages="xh", covers="autonym"),
    C("auto-avanee-any", "avañe'ẽ datasets", languages="gn", covers="autonym"),
    C("auto-bahasa-asr", "bahasa indonesia speech recognition", languages="id", tasks="ASR",
      covers="autonym"),
    C("auto-tieng-viet-lm", "Tiếng Việt language modelling data", languages="vi", tasks="LM",
      covers="autonym"),
    C("auto-kreyol-any", "kreyol ayisyen data", languages="ht", covers="autonym, no accents"),
    C("auto-chishona-asr", "chiShona speech recognition", languages="sn", tasks="ASR",
      covers="autonym"),
    C("auto-francais-asr", "corpus de reconnaissance vocale en français", languages="fr",
      tasks="ASR", covers="autonym, French task"),
    # ISO 639 codes and BCP-47 tags
    C("code-sw-KE", "datasets for sw-KE", locales="sw-KE", covers="BCP-47 tag"),
    C("code-ha-NG-asr", "ASR data, locale ha-NG", locales="ha-NG", tasks="ASR",
      covers="BCP-47 tag"),
    C("code-yo", "anything with language code yo?", languages="yo", covers="ISO 639-1"),
    C("code-zul-tts", "TTS data for zul (ISO 639-3)", languages="zu", tasks="TTS",
      covers="ISO 639-3"),
    C("code-qu-PE-asr", "qu-PE asr", locales="qu-PE", tasks="ASR", covers="BCP-47 tag"),
    C("code-amh-mt", "mt data for lang=amh", languages="am", tasks="MT", covers="ISO 639-3"),
    C("code-ewo-CM", "ewo-CM", locales="ewo-CM", covers="BCP-47 tag alone"),
    C("code-sw-TZ-asr", "sw-TZ transcribed speech", locales="sw-TZ", tasks="ASR",
      covers="BCP-47 tag"),
    C("code-kin-lm", "language model data for kin", languages="rw", tasks="LM",
      covers="ISO 639-3"),
    C("code-hau", "datasets for ISO 639-3 'hau'", languages="ha", covers="ISO 639-3"),
    C("code-ta-LK", "ta-LK datasets", locales="ta-LK", covers="BCP-47 tag"),
    C("code-ar-MA", "darija (ar-MA) data", locales="ar-MA", covers="BCP-47 tag"),
    C("code-sw-underscore", "sw_KE speech recognition", locales="sw-KE", tasks="ASR",
      covers="locale with an underscore"),
    # Places
    C("place-cameroon", "what datasets do you have for languages spoken in Cameroon?",
      place="CM", covers="country"),
    C("place-nigerian-asr", "Nigerian languages speech recognition", place="NG", tasks="ASR",
      covers="demonym"),
    C("place-west-african-mt", "west african languages, any translation data?",
      place="WESTERN_AFRICA", tasks="MT", covers="region"),
    C("place-kenyan", "kenyan languages", place="KE", covers="demonym"),
    C("place-ethiopian-lm", "ethiopian languages text data for language models", place="ET",
      tasks="LM", covers="demonym"),
    C("place-south-african-tts", "South African languages TTS", place="ZA", tasks="TTS",
      covers="demonym"),
    C("place-peru", "languages spoken in Peru", place="PE", covers="country"),
    C("place-east-african-asr", "east african languages speech recognition",
      place="EASTERN_AFRICA", tasks="ASR", covers="region"),
    C("place-indian-asr", "Indian languages ASR", place="IN", tasks="ASR", covers="demonym"),
    C("place-south-asian-asr", "south asian languages for speech recognition",
      place="SOUTHERN_ASIA", tasks="ASR", covers="region"),
    C("place-southeast-asian-mt", "Southeast Asian languages translation corpora",
      place="SOUTH_EASTERN_ASIA", tasks="MT", covers="region"),
    C("place-senegal", "languages of Senegal", place="SN", covers="country"),
    C("place-ugandan", "ugandan language datasets", place="UG", covers="demonym"),
    C("place-mexico", "datasets for languages spoken in Mexico", place="MX", covers="country"),
    C("place-bolivia-asr", "speech recognition for languages from Bolivia", place="BO",
      tasks="ASR", covers="country"),
    C("place-central-asian", "central asian languages", place="CENTRAL_ASIA", covers="region"),
    C("place-cameroon-fr", "langues du Cameroun, reconnaissance vocale", place="CM",
      tasks="ASR", covers="country in French, French task"),
    # Tasks in other languages
    C("fr-wolof-asr", "Je cherche des données de reconnaissance vocale en wolof",
      languages="wo", tasks="ASR", covers="French task"),
    C("fr-lingala-tts", "corpus pour la synthèse vocale en lingala", languages="ln",
      tasks="TTS", covers="French task"),
    C("fr-bambara-mt", "données de traduction automatique bambara", languages="bm", tasks="MT",
      covers="French task"),
    C("fr-ewondo-asr", "jeux de données en ewondo pour la reconnaissance de la parole",
      languages="ewo", tasks="ASR", covers="French task"),
    C("fr-hausa-transcription", "transcription automatique du haoussa", languages="ha",
      tasks="ASR", covers="French task and language name"),
    C("es-quechua-asr", "busco datos de reconocimiento de voz en quechua", languages="qu",
      tasks="ASR", covers="Spanish task"),
    C("es-guarani-mt", "corpus de traducción guaraní español", languages="gn", tasks="MT",
      pair="es", covers="Spanish task"),
    C("es-aymara-tts", "datos para síntesis de voz en aimara", languages="ay", tasks="TTS",
      covers="Spanish task and language name"),
    C("sw-kiswahili-asr", "Natafuta data ya Kiswahili kwa utambuzi wa sauti", languages="sw",
      tasks="ASR", covers="Swahili task"),
    C("sw-kiswahili-mt", "data ya tafsiri ya Kiswahili", languages="sw", tasks="MT",
      covers="Swahili task"),
    C("de-hausa-asr", "Ich suche Spracherkennungsdaten für Hausa", languages="ha", tasks="ASR",
      covers="German task"),
    C("de-zulu-tts", "Sprachsynthese Daten für Zulu", languages="zu", tasks="TTS",
      covers="German task"),
    C("de-yoruba-mt", "maschinelle Übersetzung Yoruba Englisch", languages="yo", tasks="MT",
      pair="en", covers="German task"),
    C("pt-brazil-asr", "dados de reconhecimento de fala em português do Brasil",
      locales="pt-BR", tasks="ASR", covers="Portuguese task"),
    C("pt-quechua-mt", "dados de tradução automática em quíchua", languages="qu", tasks="MT",
      covers="Portuguese task and language name"),
    C("en-transcription", "transcribed audio in Hausa", languages="ha", tasks="ASR",
      covers="task synonym"),
    C("en-voice-synthesis", "voice synthesis for Amharic", languages="am", tasks="TTS",
      covers="task synonym"),
    # Licence constraints and purposes
    C("lic-swahili-commercial", "swahili asr data i can use commercially", languages="sw",
      tasks="ASR", purpose="commercial", covers="commercial use"),
    C("lic-hausa-commercial", "Hausa datasets for a commercial product", languages="ha",
      purpose="commercial", covers="commercial use"),
    C("lic-yoruba-startup",
      "I'm building a voice assistant at a startup, need Yoruba data licensed for commercial use",
      languages="yo", purpose="commercial", covers="commercial use"),
    C("lic-zulu-research", "zulu data for academic research", languages="zu",
      purpose="research", covers="research"),
    C("lic-quechua-teaching", "quechua speech data I can use when teaching my university course",
      languages="qu", purpose="education", covers="teaching"),
    C("lic-amharic-research-mt", "non-commercial research on Amharic translation",
      languages="am", tasks="MT", purpose="research", covers="research"),
    C("lic-tamil-commercial", "tamil ASR with a commercial-friendly licence (CC-BY or CC0)",
      languages="ta", tasks="ASR", purpose="commercial", covers="commercial use"),
    C("lic-french-no-nc", "french speech recognition, no NC licences please, it's for a product",
      languages="fr", tasks="ASR", purpose="commercial", covers="commercial use"),
    C("ctx-swahili-commercial", "swahili translation data", languages="sw", tasks="MT",
      context={"purpose": "commercial", "organizationType": "company"},
      covers="context: commercial"),
    C("ctx-yoruba-research", "yoruba speech recognition", languages="yo", tasks="ASR",
      context={"purpose": "research", "organizationType": "academic"},
      covers="context: research"),
    C("lic-kinyarwanda-education", "kinyarwanda data for a school project (education)",
      languages="rw", purpose="education", covers="teaching"),
    # Free only and price ceilings
    C("free-hausa-asr", "free hausa speech recognition datasets", languages="ha", tasks="ASR",
      free=True, covers="free only"),
    C("free-amharic", "any free datasets in Amharic?", languages="am", free=True,
      covers="free only"),
    C("price-zulu-tts-50", "zulu tts under $50", languages="zu", tasks="TTS", max_usd=50,
      covers="price ceiling"),
    C("price-swahili-mt-100", "I have a budget of $100, swahili translation data",
      languages="sw", tasks="MT", max_usd=100, covers="price ceiling"),
    C("price-yoruba-20", "cheap yoruba datasets, less than 20 dollars", languages="yo",
      max_usd=20, covers="price ceiling"),
    C("price-quechua-30", "Quechua ASR, free or at most $30", languages="qu", tasks="ASR",
      max_usd=30, covers="price ceiling"),
    C("free-welsh", "free welsh data", languages="cy", free=True, covers="free only"),
    C("free-tamil-mt", "no-cost tamil translation corpora", languages="ta", tasks="MT",
      free=True, covers="free only"),
    C("free-es-guarani", "datos gratuitos en guaraní", languages="gn", free=True,
      covers="free only, Spanish"),
    C("free-sw-kiswahili", "data za bure za Kiswahili", languages="sw", free=True,
      covers="free only, Swahili"),
    C("price-hindi-200", "hindi speech recognition, we can pay up to 200 usd", languages="hi",
      tasks="ASR", max_usd=200, covers="price ceiling"),
    # Formats
    C("fmt-swahili-wav", "swahili ASR data in WAV", languages="sw", tasks="ASR", formats="WAV",
      covers="format"),
    C("fmt-hausa-mt-csv", "hausa english parallel text as csv", languages="ha", tasks="MT",
      formats="CSV", pair="en", covers="format"),
    C("fmt-yoruba-mp3", "mp3 recordings of yoruba", languages="yo", formats="MP3",
      covers="format"),
    C("fmt-zulu-flac", "zulu audio in flac", languages="zu", formats="FLAC", covers="format"),
    C("fmt-hindi-jsonl", "jsonl text in hindi", languages="hi", formats="JSONL",
      covers="format"),
    C("fmt-quechua-wav", "quechua .wav files for speech recognition", languages="qu",
      tasks="ASR", formats="WAV", covers="format"),
    C("fmt-amharic-jsonl", "amharic translation data, jsonl please", languages="am", tasks="MT",
      formats="JSONL", covers="format"),
    # The user's country
    C("country-kenya-swahili", "I'm in Kenya, what swahili speech recognition data can I get?",
      languages="sw", tasks="ASR", country="KE", covers="country"),
    C("country-us-swahili", "I'm based in the US and need Swahili datasets", languages="sw",
      country="US", covers="country"),
    C("ctx-france-yoruba", "yoruba translation data", languages="yo", tasks="MT",
      context={"country": "FR"}, covers="context: country"),
    C("country-germany-hausa", "writing from Germany, looking for hausa asr", languages="ha",
      tasks="ASR", country="DE", covers="country"),
    C("country-nigeria-commercial",
      "we're a company in Nigeria, need yoruba data for commercial use", languages="yo",
      country="NG", purpose="commercial", covers="country and commercial use"),
    C("country-india-tamil", "I'm in India, tamil data please", languages="ta", country="IN",
      covers="country"),
    C("country-usa-zulu", "zulu text to speech", languages="zu", tasks="TTS",
      context={"country": "US", "purpose": "commercial", "organizationType": "company"},
      covers="context: country and commercial"),
    C("country-brazil-quechua", "estou no Brasil, procuro dados de fala em quéchua para ASR",
      languages="qu", tasks="ASR", country="BR", covers="country, Portuguese"),
    C("country-china-hindi", "i'm in china, hindi datasets?", languages="hi", country="CN",
      covers="country"),
    # Several turns
    C("turns-free", "swahili speech recognition datasets", "only the free ones",
      languages="sw", tasks="ASR", free=True, covers="refinement: free"),
    C("turns-what-about", "hausa asr", "what about Yoruba?", languages="yo", tasks="ASR",
      covers="refinement: language"),
    C("turns-what-about-hausa", "yoruba speech recognition, free please", "what about Hausa?",
      languages="ha", tasks="ASR", free=True, covers="refinement: language, keeps free"),
    C("turns-instead", "zulu speech recognition data", "for translation instead",
      languages="zu", tasks="MT", covers="refinement: task"),
    C("turns-commercial", "amharic datasets", "only ones I can use commercially",
      languages="am", purpose="commercial", covers="refinement: commercial"),
    C("turns-format", "quechua speech data for asr", "and in wav format?", languages="qu",
      tasks="ASR", formats="WAV", covers="refinement: format"),
    C("turns-actually", "I need igbo text for a language model", "actually make it translation",
      languages="ig", tasks="MT", covers="refinement: task"),
    C("turns-three", "kinyarwanda asr", "what about Luganda?", "only free ones",
      languages="lg", tasks="ASR", free=True, covers="refinement: language, free"),
    C("turns-place-free", "Nigerian languages", "just the free ones for speech recognition",
      place="NG", tasks="ASR", free=True, covers="refinement: task, free"),
    C("turns-welsh-irish", "welsh text to speech", "what about irish?", languages="ga",
      tasks="TTS", covers="refinement: language"),
    C("turns-price", "french speech recognition data", "under $30 please", languages="fr",
      tasks="ASR", max_usd=30, covers="refinement: price"),
    C("turns-country-first", "I'm in Kenya", "swahili asr data", languages="sw", tasks="ASR",
      country="KE", covers="refinement: country first"),
    C("turns-stack", "yoruba translation", "only commercial-friendly licences", "and free",
      languages="yo", tasks="MT", purpose="commercial", free=True,
      covers="refinement: commercial, free"),
    C("turns-task-later", "Tamil datasets", "for speech recognition", languages="ta",
      tasks="ASR", covers="refinement: task"),
    C("turns-bengali", "hindi language model data", "what about bengali?", languages="bn",
      tasks="LM", covers="refinement: language"),
    C("turns-es", "datos de reconocimiento de voz en quechua", "¿y en aimara?", languages="ay",
      tasks="ASR", covers="refinement in Spanish"),
    C("turns-fr", "je cherche des données en wolof", "seulement les gratuites", languages="wo",
      free=True, covers="refinement in French"),
    C("turns-tigrinya", "amharic tts", "what about tigrinya?", languages="ti", tasks="TTS",
      covers="refinement: language"),
    C("turns-somali", "somali text", "for language modeling, free only", languages="so",
      tasks="LM", free=True, covers="refinement: task, free"),
    C("turns-also", "zulu asr", "xhosa too", languages="zu xh", tasks="ASR",
      covers="refinement: add a language"),
    C("turns-research", "maori speech recognition", "it's for research at a university",
      languages="mi", tasks="ASR", purpose="research", covers="refinement: research"),
    C("turns-tsv", "swahili datasets for machine translation", "in tsv", languages="sw",
      tasks="MT", formats="TSV", covers="refinement: format"),
    C("turns-place-task", "languages spoken in Cameroon", "for speech recognition", place="CM",
      tasks="ASR", covers="refinement: task"),
    C("turns-country-later", "hausa datasets", "I'm in Niger by the way", languages="ha",
      country="NE", covers="refinement: country"),
    C("turns-sw-commercial", "kiswahili tts", "we are a company, commercial use",
      languages="sw", tasks="TTS", purpose="commercial", covers="refinement: commercial"),
)  # fmt: skip
del C


# --- Scoring -------------------------------------------------------------------------------


def expected(case: Case, entries: Iterable[Entry]) -> list[Entry]:
    wanted = case.constraints
    return [e for e in entries if wanted.expects(e)]


@dataclass
class Result:
    case: Case
    expected: list[str]  # slugs
    got: list[dict[str, Any]]  # the answer's datasets, best first
    reply: str
    recall: float
    violations: list[str]  # "slug: constraint"
    private: list[str]  # slugs of private datasets in the answer
    seconds: float = 0.0
    error: str = ""
    messages: list[dict[str, str]] = field(default_factory=list)  # as last sent

    @property
    def got_slugs(self) -> list[str]:
        return [d.get("slug", "") for d in self.got]

    def describe(self) -> str:
        turns = " | ".join(self.case.turns)
        context = f" context={self.case.context}" if self.case.context else ""
        expected = ", ".join(self.expected[:8]) + (" ..." if len(self.expected) > 8 else "")
        lines = [
            f"[{self.case.name}] {turns!r}{context} ({self.case.covers})",
            f"    expected ({len(self.expected)}): {expected}",
            f"    got: {', '.join(self.got_slugs[:TOP]) or '(nothing)'}",
            f"    recall@{TOP} {self.recall:.2f}",
        ]
        if self.violations:
            lines.append(f"    violations: {'; '.join(self.violations)}")
        if self.private:
            lines.append(f"    PRIVATE: {', '.join(self.private)}")
        if self.error:
            lines.append(f"    error: {self.error}")
        if self.reply:
            lines.append(f"    reply: {self.reply[:200]!r}")
        return "\n".join(lines)


def access_errors(entry: Entry, access: dict[str, Any]) -> list[str]:
    """What an answer's access information gets wrong about a dataset, for someone who is not
    a member of its organization (no dataset of the catalogue has price rules): counted with
    the violations."""
    action = access.get("action", "")
    if not action:
        return []
    if not entry.is_paid and action == "pay":
        return ["says pay for a free dataset"]
    if entry.is_paid and action == "download":
        return ["says download for a paid dataset"]
    # The price shown is what the buyer pays: the base price and the platform's fee.
    shown = access.get("priceCents") or 0
    priced = action == "pay" or (action == "request" and entry.is_paid)
    if priced and not entry.price_cents <= shown <= entry.price_cents * 1.1:
        return [f"says {shown} cents for a price of {entry.price_cents}"]
    return []


def score(
    case: Case, entries: dict[str, Entry], got: list[dict[str, Any]], reply: str = ""
) -> Result:
    """Recall@5 and violations of one answer; `entries` by slug. A dataset the catalogue does
    not know counts as a violation (it cannot be checked)."""
    wanted = case.constraints
    hoped = [e.slug for e in entries.values() if wanted.expects(e)]
    top = got[:TOP]
    slugs = [d.get("slug", "") for d in top]
    recall = len(set(slugs) & set(hoped)) / min(TOP, len(hoped)) if hoped else 0.0
    violations, private = [], []
    for item in top:
        entry = entries.get(item.get("slug", ""))
        if entry is None:
            violations.append(f"{item.get('slug')}: unknown dataset")
            continue
        access = item.get("access") or {}
        action = access.get("action", "")
        violations += [f"{entry.slug}: {c}" for c in wanted.broken_by(entry, action)]
        violations += [f"{entry.slug}: access {c}" for c in access_errors(entry, access)]
    private = [
        d.get("slug", "")
        for d in got
        if getattr(entries.get(d.get("slug", "")), "is_private", False)
    ]
    return Result(case, hoped, got, reply, recall, violations, private)


Send = Callable[[list[dict[str, str]], dict[str, str] | None], dict[str, Any]]


def play(case: Case, send: Send) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Ask the case as a client would: each user turn in order, with the replies so far as
    assistant turns. Returns the last answer and the messages that asked for it."""
    messages: list[dict[str, str]] = []
    answer: dict[str, Any] = {}
    for turn in case.turns:
        messages.append({"role": "user", "content": turn})
        answer = send(list(messages), case.context)
        messages.append({"role": "assistant", "content": str(answer.get("reply", ""))})
    return answer, messages[:-1]


@dataclass
class Summary:
    results: list[Result]

    @property
    def mean_recall(self) -> float:
        return sum(r.recall for r in self.results) / max(1, len(self.results))

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.results)

    @property
    def cases_with_violations(self) -> list[Result]:
        return [r for r in self.results if r.violations]

    @property
    def private(self) -> list[str]:
        return sorted({slug for r in self.results for slug in r.private})

    def failing(self, threshold: float = 1.0) -> list[Result]:
        """Cases below `threshold` recall, with a violation, a private dataset or an error."""
        return [
            r for r in self.results if r.recall < threshold or r.violations or r.private or r.error
        ]

    def by_group(self) -> dict[str, tuple[int, float]]:
        """(cases, mean recall) by what the cases exercise (Case.group)."""
        groups: dict[str, list[float]] = {}
        for r in self.results:
            groups.setdefault(r.case.group, []).append(r.recall)
        return {key: (len(v), sum(v) / len(v)) for key, v in sorted(groups.items())}


def evaluate(
    send: Send, entries: Iterable[Entry] | None = None, cases: Iterable[Case] = CASES
) -> Iterator[Result]:
    """Each case played through `send` and scored against `entries`."""
    import time

    by_slug = {e.slug: e for e in (catalogue() if entries is None else entries)}
    for item in cases:
        started = time.perf_counter()
        try:
            answer, messages = play(item, send)
        except Exception as exc:  # a failed request is a result to report
            result = score(item, by_slug, [])
            result.error = f"{type(exc).__name__}: {exc}"[:500]
        else:
            got = list(answer.get("datasets") or [])
            result = score(item, by_slug, got, str(answer.get("reply", "")))
            result.messages = messages
        result.seconds = time.perf_counter() - started
        yield result
