"""Demo data: users, organizations and published datasets with real, small archives.

`seed_demo()` is idempotent: users, organizations and datasets that already exist (by
username or slug) are left alone. Archives are built on the spot from the stdlib and are
byte-for-byte deterministic, so a dataset always gets the same checksum. The audio is
synthetic (tones and noise); the transcripts and texts are genuine short phrases.
"""

import csv
import gzip
import io
import math
import random
import sys
import tarfile
import wave
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from steward.accounts.models import User
from steward.accounts.services import create_user
from steward.organizations.models import Organization
from steward.organizations.services import create_organization
from steward.storage.models import Blob
from steward.storage.services import store_blob

from .datasheet import clean_datasheet
from .models import Dataset
from .services import VersionFiles, inspect_blob, publish_dataset

DEMO_PASSWORD = "demo-password-123"
SAMPLE_RATE = 16_000
FULL_ROWS = 6
SAMPLE_ROWS = 3
# A fixed timestamp (2024-01-01 UTC) for every tar entry: the same content must give
# the same bytes, hence the same checksum, on every run and machine.
ARCHIVE_MTIME = 1_704_067_200

# Short, everyday phrases per language, used as transcripts and as text. English
# glosses are given beside each one so reviewers can check them.
PHRASES: dict[str, tuple[str, ...]] = {
    "ln": (
        "Mbote na bino.",  # Hello to you all.
        "Sango nini?",  # What's the news?
        "Nazali malamu, matondo.",  # I am well, thank you.
        "Boyei malamu.",  # Welcome.
        "Tokomonana lobi.",  # See you tomorrow.
        "Matondo mingi.",  # Thank you very much.
    ),
    "sw": (
        "Habari za asubuhi?",  # Good morning, how are you?
        "Nzuri sana, asante.",  # Very well, thank you.
        "Karibu sana.",  # You are very welcome.
        "Jina langu ni Amani.",  # My name is Amani.
        "Tutaonana kesho.",  # See you tomorrow.
        "Asante kwa kusikiliza.",  # Thank you for listening.
    ),
    "fr": (
        "Bonjour et bienvenue sur notre antenne.",
        "Voici les nouvelles de la matinée.",
        "Il va pleuvoir cet après-midi à Kinshasa.",
        "Le marché ouvre à sept heures.",
        "Merci de nous avoir écoutés.",
        "À demain, même heure.",
    ),
    "haz": (
        "سلام",  # Hello.
        "خوب استی؟",  # Are you well?
        "تشکر",  # Thank you.
        "صبح بخیر",  # Good morning.
        "خدا حافظ",  # Goodbye.
    ),
    "prs": (
        "سلام علیکم",  # Peace be upon you.
        "حال شما چطور است؟",  # How are you?
        "من خوب هستم، تشکر.",  # I am well, thank you.
        "صبح بخیر",  # Good morning.
        "خدا حافظ",  # Goodbye.
    ),
    "rm": (
        "Allegra!",  # Hello!
        "Bun di.",  # Good day.
        "Buna saira.",  # Good evening.
        "Co vai?",  # How is it going?
        "Grazia fitg.",  # Thank you very much.
        "A revair.",  # Goodbye.
    ),
    "yo": (
        "Ẹ kú àárọ̀.",  # Good morning.
        "Báwo ni?",  # How are you?
        "Dáadáa ni.",  # I am fine.
        "Ẹ ṣé o.",  # Thank you.
        "Ẹ kú àbọ̀.",  # Welcome.
        "Ó dàbọ̀.",  # Goodbye.
    ),
    "ha": (
        "Barka da safiya.",  # Good morning.
        "Ina kwana?",  # How did you sleep?
        "Lafiya lau.",  # Very well.
        "Sannu da zuwa.",  # Welcome.
        "Na gode sosai.",  # Thank you very much.
        "Sai an jima.",  # See you later.
    ),
    "ig": (
        "Ndewo.",  # Hello.
        "Kedu?",  # How are you?
        "Adị m mma.",  # I am fine.
        "Daalụ.",  # Thank you.
        "Ka ọ dị.",  # Goodbye.
    ),
    "en": (
        "Good morning, how was your night?",
        "The market opens at seven.",
        "Please call me when you arrive.",
        "Thank you for your help.",
        "We will meet at the community hall.",
    ),
}

FRENCH_LINGALA = (
    ("Bonjour à vous tous.", "Mbote na bino."),
    ("Quelles nouvelles ?", "Sango nini?"),
    ("Je vais bien, merci.", "Nazali malamu, matondo."),
    ("Bienvenue.", "Boyei malamu."),
    ("À demain.", "Tokomonana lobi."),
    ("Merci beaucoup.", "Matondo mingi."),
)
GERMAN_ROMANSH = (
    ("Hallo!", "Allegra!"),
    ("Guten Tag.", "Bun di."),
    ("Guten Abend.", "Buna saira."),
    ("Wie geht's?", "Co vai?"),
    ("Vielen Dank.", "Grazia fitg."),
    ("Auf Wiedersehen.", "A revair."),
)
ENGLISH_YORUBA = (
    ("Good morning.", "Ẹ kú àárọ̀."),
    ("How are you?", "Báwo ni?"),
    ("I am fine.", "Dáadáa ni."),
    ("Thank you.", "Ẹ ṣé o."),
    ("Welcome.", "Ẹ kú àbọ̀."),
    ("Goodbye.", "Ó dàbọ̀."),
)
YORUBA_DIACRITICS = (
    ("E ku aaro.", "Ẹ kú àárọ̀."),
    ("Bawo ni?", "Báwo ni?"),
    ("Daadaa ni.", "Dáadáa ni."),
    ("E se o.", "Ẹ ṣé o."),
    ("E ku abo.", "Ẹ kú àbọ̀."),
    ("O dabo.", "Ó dàbọ̀."),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    is_staff: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@steward.example.org"


USERS = [
    DemoUser("reviewer", "Steward Reviewer", is_staff=True),
    DemoUser("mbuyi", "Mbuyi Kalala"),
    DemoUser("zahra", "Zahra Rezaei"),
    DemoUser("gian", "Gian Caduff"),
    DemoUser("adebayo", "Adebayo Oladipo"),
    DemoUser("datauser", "Amara Ndiaye"),
]


@dataclass(frozen=True)
class DemoOrganization:
    slug: str
    name: str
    owner: str
    country: str
    description: str
    # Datasheet fields every dataset of the organization shares (camelCase).
    contacts: dict[str, Any]

    @property
    def website(self) -> str:
        return f"https://{self.slug}.example.org"


def _contacts(domain: str, contact: str, funder: str, legal: str, ethics: str) -> dict[str, Any]:
    return {
        "pointOfContactFullName": contact,
        "pointOfContactEmail": f"data@{domain}",
        "createdByFullName": contact,
        "createdByEmail": f"data@{domain}",
        "fundedByFullName": funder,
        "fundedByEmail": f"grants@{domain}",
        "legalContactFullName": legal,
        "legalContactEmail": f"legal@{domain}",
        "ethicalReviewProcess": ethics,
        "showContactInfo": True,
        "showComplianceAttributes": True,
    }


ORGANIZATIONS = [
    DemoOrganization(
        slug="radio-lisanga",
        name="Radio Lisanga Kinshasa",
        owner="mbuyi",
        country="CD",
        description=(
            "A community radio station in Kinshasa broadcasting in Lingala, French and "
            "Swahili. Listeners and presenters record their voices with informed consent."
        ),
        contacts=_contacts(
            "radio-lisanga.example.org",
            contact="Mbuyi Kalala",
            funder="Lisanga Listeners' Association",
            legal="Maître Nsimba Lutete",
            ethics=(
                "Every speaker signed a consent form read aloud in their language. The station's "
                "listener council reviewed the project and can ask for recordings to be withdrawn."
            ),
        ),
    ),
    DemoOrganization(
        slug="hazaragi-dari-archive",
        name="Hazaragi and Dari Language Archive",
        owner="zahra",
        country="PK",
        description=(
            "Hazara community members in Quetta and in the diaspora who document Hazaragi, "
            "its oral traditions and its relationship with Dari."
        ),
        contacts=_contacts(
            "hazaragi-archive.example.org",
            contact="Zahra Rezaei",
            funder="Hazara Diaspora Cultural Fund",
            legal="Ali Jafari",
            ethics=(
                "An elders' committee reviewed each collection. Speakers chose whether their "
                "recordings may be shared; names and places that could identify them were removed."
            ),
        ),
    ),
    DemoOrganization(
        slug="rumantsch-vivant",
        name="Uniun Rumantsch Vivant",
        owner="gian",
        country="CH",
        description=(
            "An association of Romansh speakers in Graubünden that records and publishes "
            "Rumantsch Grischun and the regional idioms for language technology."
        ),
        contacts=_contacts(
            "rumantsch-vivant.example.org",
            contact="Gian Caduff",
            funder="Fundaziun Rumantsch Vivant",
            legal="Seraina Cathomen",
            ethics=(
                "Recordings follow the association's consent policy, reviewed by its board; "
                "speakers may withdraw at any time."
            ),
        ),
    ),
    DemoOrganization(
        slug="ohun-wa",
        name="Ohùn Wa · Muryarmu Volunteer Speech Project",
        owner="adebayo",
        country="NG",
        description=(
            "Volunteers across Nigeria recording Yoruba, Hausa, Igbo, Mada and Nigerian "
            "English so that speech technology understands the people who use it."
        ),
        contacts=_contacts(
            "ohun-wa.example.org",
            contact="Adebayo Oladipo",
            funder="Ohùn Wa Community Trust",
            legal="Hadiza Bello",
            ethics=(
                "Volunteers gave consent in the app in their own language and can delete their "
                "recordings. A community advisory board approves every release."
            ),
        ),
    ),
]


@dataclass(frozen=True)
class DemoDataset:
    """One demo dataset: its datasheet (camelCase) and how to build its archive.

    `layout` names an archive layout of the MDC `load_dataset` strategies:
    index, multi_split, multi_sections, paired_glob, lid_glob (audio only),
    text_glob (one text file per part) or pairs (one TSV of two columns).
    """

    slug: str
    organization: str
    layout: str
    sheet: dict[str, Any]
    language: str = ""
    languages: tuple[str, ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()
    pair_header: tuple[str, str] = ("source", "target")
    has_sample: bool = True
    # The usage policy beyond what the MDC fields say (licensing/document.py).
    usage_policy: dict[str, Any] | None = None


DEMO_NOTE = (
    "Demo dataset created by `steward seed-demo`: the audio clips are synthetic tones, "
    "the transcripts and texts are genuine short phrases."
)
OPEN_USE = "Speech and language technology research and products that serve the community."
NO_SURVEILLANCE = (
    "Surveillance, speaker identification or profiling of individuals; voice cloning of "
    "the speakers; any use that demeans the community."
)


def _speech(name: str, short: str, long: str, locale: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "shortDescription": short,
        "longDescription": long,
        "locale": locale,
        "task": "ASR",
        "format": "WAV",
        "intendedUsage": OPEN_USE,
        "forbiddenUsage": NO_SURVEILLANCE,
        "other": DEMO_NOTE,
        **extra,
    }


DATASETS = [
    # Radio Lisanga Kinshasa
    DemoDataset(
        slug="lingala-radio-speech",
        organization="radio-lisanga",
        layout="index",
        language="ln",
        sheet=_speech(
            "Lingala Radio Speech",
            "Read and spontaneous Lingala speech from Radio Lisanga's listeners, transcribed.",
            "Listeners of Radio Lisanga in Kinshasa read greetings, announcements and short "
            "messages in Lingala. Each clip has a verified transcript and an anonymous speaker "
            "id. Layout: metadata.csv (file_name, transcript, speaker) and clips/.",
            "ln-CD",
            licenseAbbreviation="CC-BY-4.0",
            restrictions="Credit Radio Lisanga Kinshasa and its listeners.",
        ),
    ),
    DemoDataset(
        slug="lingala-studio-voice",
        organization="radio-lisanga",
        layout="multi_sections",
        language="ln",
        sheet=_speech(
            "Lingala Studio Voice",
            "Studio recordings of one Lingala presenter for text-to-speech.",
            "A Radio Lisanga presenter read Lingala phrases in the station's studio, in two "
            "sessions. Each session folder holds text.tsv (path, sentence) and clips/.",
            "ln",
            task="TTS",
            licenseAbbreviation="CC-BY-NC-4.0",
            isPaid=True,
            basePriceCents=15000,
            currency="usd",
            restrictions="Non-commercial use only.",
            forbiddenUsage="Cloning the presenter's voice to say things they did not say.",
            additionalConditions="Synthetic voices built from this data must be labelled as such.",
        ),
    ),
    DemoDataset(
        slug="french-lingala-phrases",
        organization="radio-lisanga",
        layout="pairs",
        pairs=FRENCH_LINGALA,
        pair_header=("fr", "ln"),
        sheet={
            "name": "French–Lingala Everyday Phrases",
            "shortDescription": "Everyday French phrases and their Lingala translations.",
            "longDescription": (
                "Greetings and everyday phrases used on air, translated from French into Lingala "
                "by the station's presenters. One TSV file with the columns fr and ln."
            ),
            "locale": "ln",
            "task": "MT",
            "format": "TSV",
            "licenseAbbreviation": "CC-BY-SA-4.0",
            "intendedUsage": "Machine translation and phrasebooks between French and Lingala.",
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="lingala-radio-news-text",
        organization="radio-lisanga",
        layout="text_glob",
        language="ln",
        sheet={
            "name": "Lingala Radio Text",
            "shortDescription": "Lingala text written for Radio Lisanga's programmes.",
            "longDescription": (
                "Short Lingala texts written by the station's presenters for announcements and "
                "programme openings. One UTF-8 text file per part, under ln/."
            ),
            "locale": "ln",
            "task": "LM",
            "format": "TXT",
            "licenseAbbreviation": "NOODL-1.0",
            "intendedUsage": "Language models and spelling tools for Lingala.",
            "forbiddenUsage": NO_SURVEILLANCE,
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="swahili-call-in-shows",
        organization="radio-lisanga",
        layout="index",
        language="sw",
        has_sample=False,
        sheet=_speech(
            "Swahili Call-in Shows",
            "Swahili spoken by callers to Radio Lisanga's Swahili programme.",
            "Callers from the east of the country speaking Swahili on the station's weekly "
            "call-in programme, with transcripts. Access is reviewed because callers speak "
            "about their daily lives.",
            "sw-CD",
            licenseAbbreviation="CC-BY-NC-4.0",
            visibility="restricted",
            restrictions="Access is granted for research after review by the station.",
            additionalConditions="Do not try to identify callers or publish their voices.",
        ),
        usage_policy={
            "purposes": ["research", "education"],
            "attribution": "Swahili Call-in Shows, Radio Lisanga (CC BY-NC 4.0)",
            "questions": [
                {
                    "id": "ethics",
                    "text": "Which body reviews the ethics of your research?",
                    "required": True,
                },
                {
                    "id": "share",
                    "text": "How will you share results with the callers' communities?",
                    "required": False,
                },
            ],
            "grantDays": 365,
            "renewalReportRequired": True,
        },
    ),
    DemoDataset(
        slug="kinshasa-french-broadcasts",
        organization="radio-lisanga",
        layout="multi_split",
        language="fr",
        sheet=_speech(
            "Kinshasa French Broadcasts",
            "French as spoken on Kinshasa community radio, with train, dev and test splits.",
            "News bulletins and announcements read in French by Radio Lisanga's presenters, "
            "split Common Voice style into train.tsv, dev.tsv and test.tsv with clips/.",
            "fr-CD",
            licenseAbbreviation="CC-BY-4.0",
            isPaid=True,
            basePriceCents=2500,
            currency="usd",
            exclusivityOptOut=True,
        ),
        # Free for researchers and teachers in Africa; everyone else pays the base price.
        usage_policy={
            "pricing": {
                "basePriceCents": 2500,
                "rules": [
                    {
                        "purposes": ["research", "education"],
                        "places": ["AFRICA"],
                        "priceCents": 0,
                    }
                ],
            },
        },
    ),
    # Hazaragi and Dari Language Archive
    DemoDataset(
        slug="hazaragi-oral-histories",
        organization="hazaragi-dari-archive",
        layout="index",
        language="haz",
        has_sample=False,
        sheet=_speech(
            "Hazaragi Oral Histories",
            "Hazaragi conversations with elders about daily life, in Perso-Arabic script.",
            "Conversations recorded with Hazara elders, transcribed in Hazaragi. Shared only "
            "under the archive's stewardship licence because speakers' safety comes first.",
            "haz",
            licenseAbbreviation="HCSL-1.0",
            license="Hazara Community Stewardship Licence 1.0",
            licenseUrl="https://hazaragi-archive.example.org/licence",
            visibility="restricted",
            restrictions="Research use only, after the elders' committee approves the request.",
            additionalConditions=(
                "Never publish clips or transcripts that could identify a speaker or a place."
            ),
        ),
        usage_policy={
            "purposes": ["research"],
            "geography": {"mode": "deny", "places": ["AF", "IR"]},
            "licence": {"commercialUse": False, "derivatives": False},
            "verifiedOrganizationRequired": True,
            "grantDays": 180,
        },
    ),
    DemoDataset(
        slug="dari-read-speech",
        organization="hazaragi-dari-archive",
        layout="multi_split",
        language="prs",
        sheet=_speech(
            "Dari Read Speech",
            "Read Dari sentences from many speakers, split for training and evaluation.",
            "Volunteers read everyday Dari sentences. train.tsv, dev.tsv and test.tsv list the "
            "clips (path, sentence, client_id); speakers do not overlap between splits.",
            "prs-AF",
            licenseAbbreviation="CC-BY-NC-4.0",
            isPaid=True,
            basePriceCents=50000,
            currency="usd",
            restrictions="Non-commercial use only; commercial licences on request.",
        ),
    ),
    DemoDataset(
        slug="hazaragi-text-corpus",
        organization="hazaragi-dari-archive",
        layout="text_glob",
        language="haz",
        sheet={
            "name": "Hazaragi Text Corpus",
            "shortDescription": "Everyday Hazaragi written in Perso-Arabic script.",
            "longDescription": (
                "Greetings and everyday expressions written down by community members, for "
                "language models and keyboards. One UTF-8 text file per part, under haz/."
            ),
            "locale": "haz",
            "task": "LM",
            "format": "TXT",
            "licenseAbbreviation": "CC-BY-NC-4.0",
            "intendedUsage": "Language models, keyboards and spelling tools for Hazaragi.",
            "forbiddenUsage": NO_SURVEILLANCE,
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="hazaragi-dari-lid",
        organization="hazaragi-dari-archive",
        layout="lid_glob",
        languages=("haz", "prs"),
        has_sample=False,
        sheet=_speech(
            "Hazaragi or Dari? Language Identification",
            "Short clips labelled Hazaragi or Dari, for telling the two apart.",
            "Clips from the archive grouped as speaker/language/utterance.wav. Private while "
            "the elders' committee reviews the speakers' consent.",
            "haz",
            task="LID",
            licenseAbbreviation="CC-BY-4.0",
            visibility="private",
        ),
    ),
    # Uniun Rumantsch Vivant
    DemoDataset(
        slug="romansh-read-speech",
        organization="rumantsch-vivant",
        layout="multi_split",
        language="rm",
        sheet=_speech(
            "Romansh Read Speech",
            "Rumantsch Grischun sentences read by speakers from across Graubünden.",
            "Members of the association read Rumantsch Grischun sentences at home. Split "
            "Common Voice style into train.tsv, dev.tsv and test.tsv with clips/.",
            "rm-CH",
            licenseAbbreviation="CC0-1.0",
            autoApproveAccessRequests=True,
        ),
    ),
    DemoDataset(
        slug="german-romansh-greetings",
        organization="rumantsch-vivant",
        layout="pairs",
        pairs=GERMAN_ROMANSH,
        pair_header=("de", "rm"),
        sheet={
            "name": "German–Romansh Greetings",
            "shortDescription": "German greetings and their Rumantsch Grischun translations.",
            "longDescription": (
                "Greetings and polite phrases in German with their Rumantsch Grischun "
                "translations, checked by two members. One TSV file with the columns de and rm."
            ),
            "locale": "rm",
            "task": "MT",
            "format": "TSV",
            "licenseAbbreviation": "CC-BY-4.0",
            "intendedUsage": "Machine translation between German and Romansh.",
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="romansh-tts-voice",
        organization="rumantsch-vivant",
        layout="index",
        language="rm",
        sheet=_speech(
            "Romansh TTS Voice",
            "A professional Romansh speaker recorded in a studio for text-to-speech.",
            "One speaker, recorded in a quiet studio in Chur, reading Rumantsch Grischun. "
            "metadata.csv lists each clip with its text.",
            "rm-CH",
            task="TTS",
            licenseAbbreviation="CC-BY-NC-4.0",
            isPaid=True,
            basePriceCents=30000,
            currency="usd",
            restrictions="Non-commercial use only.",
            forbiddenUsage="Cloning the speaker's voice; political or commercial advertising.",
        ),
    ),
    DemoDataset(
        slug="romansh-text-corpus",
        organization="rumantsch-vivant",
        layout="text_glob",
        language="rm",
        sheet={
            "name": "Romansh Text Corpus",
            "shortDescription": "Short Rumantsch Grischun texts for language modelling.",
            "longDescription": (
                "Everyday Rumantsch Grischun written by members of the association. One UTF-8 "
                "text file per part, under rm/."
            ),
            "locale": "rm",
            "task": "LM",
            "format": "TXT",
            "licenseAbbreviation": "CC-BY-SA-4.0",
            "intendedUsage": "Language models and writing tools for Romansh.",
            "other": DEMO_NOTE,
        },
    ),
    # Ohùn Wa · Muryarmu Volunteer Speech Project
    DemoDataset(
        slug="yoruba-volunteer-speech",
        organization="ohun-wa",
        layout="multi_split",
        language="yo",
        sheet=_speech(
            "Yoruba Volunteer Speech",
            "Yoruba sentences with full tone marks, read by volunteers across the south-west.",
            "Volunteers in Ibadan, Abeokuta and Lagos read Yoruba sentences written with full "
            "diacritics. train.tsv, dev.tsv and test.tsv list the clips.",
            "yo-NG",
            licenseAbbreviation="CC-BY-4.0",
            autoApproveAccessRequests=True,
        ),
    ),
    DemoDataset(
        slug="hausa-volunteer-speech",
        organization="ohun-wa",
        layout="index",
        language="ha",
        sheet=_speech(
            "Hausa Volunteer Speech",
            "Hausa greetings and sentences read by volunteers in Kano and Kaduna.",
            "Volunteers read Hausa greetings and everyday sentences in Boko script. "
            "metadata.csv lists file_name, transcript and an anonymous speaker id.",
            "ha-NG",
            licenseAbbreviation="CC0-1.0",
        ),
    ),
    DemoDataset(
        slug="igbo-read-speech",
        organization="ohun-wa",
        layout="index",
        language="ig",
        sheet=_speech(
            "Igbo Read Speech",
            "Igbo greetings read by volunteers in Enugu and Owerri.",
            "Volunteers read Igbo greetings and short phrases with dotted vowels. metadata.csv "
            "lists file_name, transcript and an anonymous speaker id.",
            "ig-NG",
            licenseAbbreviation="CC-BY-4.0",
        ),
    ),
    DemoDataset(
        slug="yoruba-diacritics",
        organization="ohun-wa",
        layout="pairs",
        pairs=YORUBA_DIACRITICS,
        pair_header=("plain", "diacritized"),
        sheet={
            "name": "Yoruba Diacritic Restoration",
            "shortDescription": "Yoruba sentences without and with tone marks and underdots.",
            "longDescription": (
                "Pairs of Yoruba sentences typed without diacritics and their correct form "
                "with tone marks and underdots, for diacritic restoration."
            ),
            "locale": "yo",
            "task": "NLP",
            "format": "TSV",
            "licenseAbbreviation": "CC-BY-SA-4.0",
            "intendedUsage": "Diacritic restoration and keyboards for Yoruba.",
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="english-yoruba-phrases",
        organization="ohun-wa",
        layout="pairs",
        pairs=ENGLISH_YORUBA,
        pair_header=("en", "yo"),
        sheet={
            "name": "English–Yoruba Phrases",
            "shortDescription": "Everyday English phrases with Yoruba translations.",
            "longDescription": (
                "Greetings and everyday phrases translated from English into Yoruba by "
                "volunteers and checked by a second speaker. One TSV file with the columns "
                "en and yo."
            ),
            "locale": "yo",
            "task": "MT",
            "format": "TSV",
            "licenseAbbreviation": "CC-BY-4.0",
            "intendedUsage": "Machine translation between English and Yoruba.",
            "other": DEMO_NOTE,
        },
    ),
    DemoDataset(
        slug="hausa-tts-voice",
        organization="ohun-wa",
        layout="index",
        language="ha",
        sheet=_speech(
            "Hausa TTS Voice",
            "A Hausa voice actor recorded for text-to-speech.",
            "One voice actor from Kano, recorded in a studio, reading Hausa phrases. "
            "metadata.csv lists each clip with its text.",
            "ha",
            task="TTS",
            licenseAbbreviation="NOODL-1.0",
            isPaid=True,
            basePriceCents=20000,
            currency="usd",
            forbiddenUsage="Cloning the actor's voice; impersonation of any person.",
        ),
    ),
    DemoDataset(
        slug="mada-language-id",
        organization="ohun-wa",
        layout="lid_glob",
        languages=("mda",),
        has_sample=False,
        sheet=_speech(
            "Mada Speech for Language Identification",
            "Untranscribed Mada speech from Nasarawa State, for language identification.",
            "Mada speakers recorded short phrases. The clips are not transcribed yet; they are "
            "grouped as speaker/language/utterance.wav. Access is reviewed by the community.",
            "mda",
            task="LID",
            licenseAbbreviation="CC-BY-NC-4.0",
            visibility="restricted",
            restrictions="Access after review by the Mada community advisory board.",
        ),
    ),
    DemoDataset(
        slug="nigerian-english-accents",
        organization="ohun-wa",
        layout="paired_glob",
        language="en",
        sheet=_speech(
            "Nigerian English Accents",
            "English read by Nigerian volunteers with Yoruba, Hausa and Igbo first languages.",
            "Volunteers read English sentences. Each clip sits beside a .txt transcript of the "
            "same name, in train/ and test/ folders.",
            "en-NG",
            licenseAbbreviation="CC-BY-4.0",
            isPaid=True,
            basePriceCents=5000,
            currency="usd",
        ),
    ),
]


# -- Archive building -----------------------------------------------------------------


# Cached because a sample archive repeats the first clips of its full archive.
@lru_cache(maxsize=256)
def synthetic_wav(seed: str) -> bytes:
    """0.5 to 1.2 s of speech-like sound (16 kHz mono 16-bit): a voiced tone with
    harmonics under a syllable-rate envelope, plus a little noise."""
    rng = random.Random(seed)
    count = int(SAMPLE_RATE * rng.uniform(0.5, 1.2))
    pitch = rng.uniform(100, 220)
    syllables = rng.uniform(3, 5)
    step = 2 * math.pi / SAMPLE_RATE
    samples = array("h")
    for n in range(count):
        envelope = 0.5 - 0.5 * math.cos(step * syllables * n)
        phase = step * pitch * n
        tone = math.sin(phase) + 0.5 * math.sin(2 * phase) + 0.25 * math.sin(3 * phase)
        samples.append(int(9000 * envelope * tone + rng.uniform(-300, 300)))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian.
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SAMPLE_RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def tar_gz(entries: dict[str, bytes]) -> bytes:
    """A gzip tar of `entries` (path → bytes) whose bytes depend only on the entries."""
    directories = set()
    for path in entries:
        parts = path.split("/")[:-1]
        directories.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as tar,
    ):
        for path in sorted(directories | set(entries)):
            info = tarfile.TarInfo(path)
            info.mtime = ARCHIVE_MTIME
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if path in entries:
                info.size = len(entries[path])
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(entries[path]))
            else:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
    return buffer.getvalue()


def _csv(rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    # Tab-separated files are read without quoting; none of the phrases holds a tab.
    quoting = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n", quoting=quoting)
    writer.writerows(rows)
    return out.getvalue().encode()


def _speaker(i: int) -> str:
    return f"speaker_{i % 3 + 1:02d}"


def _layout_entries(spec: DemoDataset, rows: int) -> dict[str, bytes]:
    """The files of the archive, relative to its top folder, with `rows` samples."""
    phrases = PHRASES.get(spec.language, ())
    texts = [phrases[i % len(phrases)] for i in range(rows)] if phrases else []
    clip = [f"{spec.slug}_{i + 1:04d}.wav" for i in range(rows)]

    def wav(i: int) -> bytes:
        return synthetic_wav(f"{spec.slug}/{i}")

    entries: dict[str, bytes] = {}
    if spec.layout == "index":
        table = [["file_name", "transcript", "speaker"]]
        table += [[clip[i], texts[i], _speaker(i)] for i in range(rows)]
        entries["metadata.csv"] = _csv(table)
        entries.update({f"clips/{clip[i]}": wav(i) for i in range(rows)})
    elif spec.layout == "multi_split":
        for k, split in enumerate(("train", "dev", "test")):
            table = [["path", "sentence", "client_id"]]
            table += [[clip[i], texts[i], _speaker(i)] for i in range(k, rows, 3)]
            entries[f"{split}.tsv"] = _csv(table, "\t")
        entries.update({f"clips/{clip[i]}": wav(i) for i in range(rows)})
    elif spec.layout == "multi_sections":
        for k, part in enumerate(("part_01", "part_02")):
            table = [["path", "sentence"]]
            table += [[clip[i], texts[i]] for i in range(k, rows, 2)]
            entries[f"{part}/text.tsv"] = _csv(table, "\t")
            entries.update({f"{part}/clips/{clip[i]}": wav(i) for i in range(k, rows, 2)})
    elif spec.layout == "paired_glob":
        for i in range(rows):
            split = "test" if i % 3 == 2 else "train"
            entries[f"{split}/{i + 1:04d}.txt"] = (texts[i] + "\n").encode()
            entries[f"{split}/{i + 1:04d}.wav"] = wav(i)
    elif spec.layout == "lid_glob":
        for i in range(rows):
            language = spec.languages[i % len(spec.languages)]
            entries[f"{_speaker(i)}/{language}/utt_{i + 1:03d}.wav"] = wav(i)
    elif spec.layout == "text_glob":
        for part in range(rows // 2):
            lines = [phrases[(part + j) % len(phrases)] for j in range(len(phrases))]
            entries[f"{spec.language}/part_{part + 1:02d}.txt"] = ("\n".join(lines) + "\n").encode()
    elif spec.layout == "pairs":
        table = [list(spec.pair_header)] + [list(p) for p in spec.pairs[:rows]]
        entries["pairs.tsv"] = _csv(table, "\t")
    else:
        raise ValueError(f"unknown demo layout {spec.layout!r}")
    return entries


def build_archive(spec: DemoDataset, *, sample: bool = False) -> bytes:
    """The dataset's archive (or its sample): everything under a `<slug>/` folder."""
    rows = SAMPLE_ROWS if sample else FULL_ROWS
    entries = _layout_entries(spec, rows)
    readme = [
        spec.sheet["name"] + (" (sample: a few rows of the full dataset)" if sample else ""),
        "",
        spec.sheet["longDescription"],
        "",
        f"Licence: {spec.sheet['licenseAbbreviation']}",
        f"Layout: {spec.layout}",
        "",
        DEMO_NOTE,
    ]
    entries["README.txt"] = ("\n".join(readme) + "\n").encode()
    return tar_gz({f"{spec.slug}/{path}": data for path, data in entries.items()})


# -- Seeding -----------------------------------------------------------------------


@dataclass
class SeedReport:
    created_users: list[str] = field(default_factory=list)
    created_organizations: list[str] = field(default_factory=list)
    created_datasets: list[str] = field(default_factory=list)
    existing: int = 0

    @property
    def created_anything(self) -> bool:
        return bool(self.created_users or self.created_organizations or self.created_datasets)


def _store(data: bytes, *, slug: str, filename: str) -> Blob:
    return store_blob(
        io.BytesIO(data),
        prefix=f"datasets/{slug}",
        filename=filename,
        content_type="application/gzip",
    )


def _seed_dataset(
    spec: DemoDataset, organization: Organization, contacts: dict[str, Any]
) -> Dataset:
    # Validate the datasheet before writing any bytes, so a bad spec leaves no orphan blobs.
    sheet = clean_datasheet({**contacts, **spec.sheet})
    files = VersionFiles(
        archive=_store(build_archive(spec), slug=spec.slug, filename=f"{spec.slug}.tar.gz"),
        archive_name=f"{spec.slug}.tar.gz",
    )
    if spec.has_sample:
        sample_name = f"{spec.slug}-sample.tar.gz"
        files.sample = _store(
            build_archive(spec, sample=True), slug=spec.slug, filename=sample_name
        )
        files.sample_name = sample_name
    dataset = publish_dataset(
        organization, sheet=sheet, slug=spec.slug, files=files, usage_policy=spec.usage_policy
    )
    # Inspected at once rather than by the worker, so the pages show what the files hold
    # from the start.
    for blob in (files.archive, files.sample):
        if blob is not None:
            inspect_blob(blob, locale=sheet["locale"])
    return dataset


def seed_demo() -> SeedReport:
    """Create the demo users, organizations and datasets that do not exist yet."""
    report = SeedReport()
    users: dict[str, User] = {
        u.username: u for u in User.objects.filter(username__in=[d.username for d in USERS])
    }
    for demo_user in USERS:
        if demo_user.username in users:
            report.existing += 1
            continue
        users[demo_user.username] = create_user(
            demo_user.username,
            email=demo_user.email,
            password=DEMO_PASSWORD,
            is_staff=demo_user.is_staff,
            full_name=demo_user.full_name,
        )
        report.created_users.append(demo_user.username)

    organizations = {
        o.slug: o for o in Organization.objects.filter(slug__in=[d.slug for d in ORGANIZATIONS])
    }
    for demo_org in ORGANIZATIONS:
        if demo_org.slug in organizations:
            report.existing += 1
            continue
        organizations[demo_org.slug] = create_organization(
            demo_org.slug,
            name=demo_org.name,
            owner=users[demo_org.owner],
            description=demo_org.description,
            country=demo_org.country,
            website=demo_org.website,
            approved=True,
        )
        report.created_organizations.append(demo_org.slug)

    existing_slugs = set(
        Dataset.objects.filter(slug__in=[d.slug for d in DATASETS]).values_list("slug", flat=True)
    )
    for spec in DATASETS:
        if spec.slug in existing_slugs:
            report.existing += 1
            continue
        contacts = next(o.contacts for o in ORGANIZATIONS if o.slug == spec.organization)
        _seed_dataset(spec, organizations[spec.organization], contacts)
        report.created_datasets.append(spec.slug)
    return report
