"""What the journeys start from: small, real dataset archives (a few seconds of WAV clips
and their transcripts, which the file inspection can measure) and published datasets."""

import io
import tarfile
import wave

from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

TRANSCRIPTS = ["Mbote na bino.", "Sango ya ntongo.", "Tokutani lobi."]


def wav(seconds: float, rate: int = 16_000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as clip:
        clip.setnchannels(1)
        clip.setsampwidth(2)
        clip.setframerate(rate)
        clip.writeframes(bytes(int(seconds * rate) * 2))
    return out.getvalue()


def speech_archive() -> bytes:
    """A .tar.gz of three clips and a metadata.csv naming them."""
    rows = "".join(f"clips/{n}.wav,{text}\n" for n, text in enumerate(TRANSCRIPTS, start=1))
    files = {
        **{f"data/clips/{n}.wav": wav(1.0 + n / 2) for n in range(1, len(TRANSCRIPTS) + 1)},
        "data/metadata.csv": f"file_name,transcript\n{rows}".encode(),
    }
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def publish_radio_speech(organization) -> Dataset:
    """Lingala radio speech, on request: the organization approves each request, and access
    costs 25 US dollars."""
    return make_dataset(
        organization,
        slug="lingala-radio-speech",
        name="Lingala Radio Speech",
        archive=speech_archive(),
        visibility="restricted",
        usage_policy={
            "approval": "manual",
            "purposes": ["research", "education"],
            "pricing": {"basePriceCents": 2500},
            "attribution": "Radio Kinshasa Community, 2025",
        },
    )


def publish_neighbours(organization) -> None:
    """Two free datasets in other languages, so that browsing and search have a choice."""
    make_dataset(
        organization,
        slug="swahili-market-talk",
        name="Swahili Market Talk",
        shortDescription="Conversations recorded at markets in Mombasa.",
        longDescription="Two hours of market conversations.",
        locale="sw",
        archive=speech_archive(),
    )
    make_dataset(
        organization,
        slug="kinshasa-news-texts",
        name="Kinshasa News Texts",
        shortDescription="Radio news bulletins, transcribed.",
        longDescription="A year of news bulletins in French.",
        locale="fr",
        task="LM",
        format="TXT",
        archive=speech_archive(),
    )
