"""Hugging Face dataset cards: README.md with YAML front matter the Hub accepts, for
whoever may see the dataset."""

import pycountry
import pytest
import yaml
from django.urls import reverse

from steward.catalog import demo
from steward.catalog.models import DatasetFile, Task
from steward.catalog.services import inspect_blob, remove_dataset
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission
from steward.exports import hfcard
from steward.licensing.licences import PREDEFINED
from steward.organizations.services import create_organization

pytestmark = pytest.mark.django_db

BASE = "http://steward.example.org"
# Characters that break naive writers of YAML and Markdown.
AWKWARD = (
    'He said "yes": it\'s \\ fine\n---\n...\n& *anchor !tag #comment %TAG <script>alert(1)'
    "</script> العربية שלום 🎙️\u200f\u2028- [x]: {y}"
)
VOCABULARY = hfcard.vocabulary()


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.STEWARD_BASE_URL = BASE


def card_url(dataset) -> str:
    return reverse("exports:dataset-card", args=[dataset.public_id])


def split(card: str) -> tuple[dict, str]:
    """The front matter, as the Hub reads it (between the first two "---" lines), and the
    body after it."""
    lines = card.split("\n")
    assert lines[0] == "---"
    end = lines.index("---", 1)
    return yaml.safe_load("\n".join(lines[1:end])), "\n".join(lines[end + 1 :])


def assert_valid(meta: dict) -> None:
    """Only values the Hub knows."""
    assert meta["license"] in VOCABULARY["licenses"]
    if meta["license"] == "other":
        assert meta["license_name"]
        assert meta["license_link"].startswith("http")
    assert set(meta.get("task_categories", [])) <= set(VOCABULARY["task_categories"])
    buckets = {bucket["label"] for bucket in VOCABULARY["size_categories"]}
    assert set(meta.get("size_categories", [])) <= buckets
    for code in meta["language"]:
        # ISO 639-1 where the language has a code there, else ISO 639-3.
        entry = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
        assert entry is not None, code
        assert code == getattr(entry, "alpha_2", entry.alpha_3)
    for kind in meta.get("extra_gated_fields", {}).values():
        assert kind in VOCABULARY["gated_field_types"]
    assert all(isinstance(tag, str) and tag for tag in meta["tags"])


def test_an_open_dataset_card_parses_to_valid_metadata(client, organization):
    dataset = make_dataset(
        organization, slug="open-speech", archive=b"archive", locale="sw-KE", task="ASR"
    )
    response = client.get(card_url(dataset))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="README.md"'
    meta, body = split(response.content.decode())
    assert_valid(meta)
    assert meta["pretty_name"] == "Lingala Radio Speech"
    assert meta["language"] == ["sw"]
    assert meta["license"] == "cc-by-4.0"
    assert meta["task_categories"] == ["automatic-speech-recognition"]
    assert meta["tags"] == ["steward", "wav"]
    # Open terms: nothing to ask, so no gate.
    assert not any(key.startswith("extra_gated") for key in meta)
    page = f"{BASE}/datasets/{dataset.public_id}"
    assert f"# {dataset.name}" in body
    assert dataset.long_description in body
    assert f"datacollective.download_dataset('{dataset.public_id}', 'data/')" in body
    assert "@misc{steward-" in body
    assert f"url = {{{page}}}" in body
    assert body.rstrip().endswith(f"{page}, which stays the reference: its terms may change.")
    # An empty datasheet text gets no section.
    assert "### Annotation and transcription" not in body
    assert "### Known biases and gaps" not in body


def test_a_dataset_that_needs_asking_is_gated_towards_the_request_page(client, organization):
    dataset = make_dataset(
        organization,
        slug="paid-speech",
        licenseAbbreviation="NOODL-1.0",
        isPaid=True,
        basePriceCents=2500,
        currency="usd",
        intendedUsage="Speech recognition for Lingala.",
        annotationProcess="Two speakers transcribed each recording.\nA third checked them.",
        knownBiases="Mostly men over 40 from Kinshasa.",
    )
    meta, body = split(client.get(card_url(dataset)).content.decode())
    assert_valid(meta)
    request_page = f"{BASE}/datasets/{dataset.public_id}/request-access"
    assert meta["license"] == "other"
    assert meta["license_name"] == "Nwulite Obodo Open Data License 1.0"
    assert meta["license_link"] == PREDEFINED["NOODL-1.0"].url
    assert request_page in meta["extra_gated_prompt"]
    assert request_page in meta["extra_gated_description"]
    assert meta["extra_gated_heading"]
    assert meta["extra_gated_button_content"]
    assert set(meta["extra_gated_fields"].values()) == {"text", "checkbox"}
    assert f"Request access at {request_page}" in body
    assert "Price: USD 25.00." in body
    assert "### Intended use\n\nSpeech recognition for Lingala." in body
    assert (
        "### Annotation and transcription\n\n"
        "Two speakers transcribed each recording.\nA third checked them.\n"
    ) in body
    assert "### Known biases and gaps\n\nMostly men over 40 from Kinshasa.\n" in body


def test_every_steward_licence_maps_to_a_hub_licence_or_other():
    for abbreviation in PREDEFINED:
        value = hfcard.hub_license(abbreviation)
        assert value in VOCABULARY["licenses"], abbreviation
    assert hfcard.hub_license("CC-BY-SA-4.0") == "cc-by-sa-4.0"
    assert hfcard.hub_license("NLOD-2.0") == "other"
    assert hfcard.hub_license("Our-Own-Licence") == "other"
    assert hfcard.hub_license("") == "unknown"


def test_every_steward_task_maps_to_hub_task_categories():
    for task in Task.values:
        for data_format in ("", "WAV", "TXT"):
            categories = hfcard.hub_tasks(task, data_format)
            assert set(categories) <= set(VOCABULARY["task_categories"]), task
    assert hfcard.hub_tasks("TTS") == ["text-to-speech"]
    assert hfcard.hub_tasks("MT") == ["translation"]
    assert hfcard.hub_tasks("LID", "WAV") == ["audio-classification"]
    assert hfcard.hub_tasks("LID", "TXT") == ["text-classification"]
    assert hfcard.hub_tasks("N/A") == []


@pytest.mark.parametrize(
    ("count", "bucket"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (100_000, "100K<n<1M"),
        (2_500_000_000, "1B<n<10B"),
        (10**13, "n>1T"),
    ],
)
def test_size_categories_follow_the_hubs_buckets(count, bucket):
    assert hfcard.size_category(count) == bucket


def test_the_size_comes_from_the_archives_inspection(client, organization):
    speech = next(spec for spec in demo.DATASETS if spec.layout == "index")
    dataset = make_dataset(organization, slug="inspected", archive=demo.build_archive(speech))
    meta, _ = split(client.get(card_url(dataset)).content.decode())
    assert "size_categories" not in meta  # not counted yet
    blob = DatasetFile.objects.get(version__dataset=dataset, role="archive").blob
    inspection = inspect_blob(blob, locale="ln")
    files = inspection.report["totals"]["files"]
    assert files > 0
    meta, _ = split(client.get(card_url(dataset)).content.decode())
    assert meta["size_categories"] == [hfcard.size_category(files)]


def test_awkward_text_yields_exactly_the_intended_metadata(client, db):
    organization = create_organization("awkward-org", name=AWKWARD, approved=True)
    dataset = make_dataset(
        organization,
        slug="awkward",
        name=AWKWARD,
        shortDescription=AWKWARD[:160],
        longDescription=AWKWARD * 2,
        format="WAV & <b>",
        licenseAbbreviation="Odd-1",
        license=AWKWARD,
        licenseUrl="https://example.org/licence?a=1&b=2#x",
        pointOfContactFullName=AWKWARD,
        pointOfContactEmail="amani@example.org",
        showContactInfo=True,
        ethicalReviewProcess=AWKWARD,
        knownBiases=AWKWARD,
        isPaid=True,
        basePriceCents=500,
        currency="usd",
    )
    card = client.get(card_url(dataset)).content.decode()
    meta, body = split(card)
    assert_valid(meta)
    assert meta["pretty_name"] == dataset.name
    assert meta["license_name"] == dataset.license_name
    assert meta["license_link"] == "https://example.org/licence?a=1&b=2#x"
    assert organization.name in meta["extra_gated_description"]
    assert meta["tags"] == ["steward", "wav-b"]
    # No line of the front matter can be read as its end.
    front = card.split("\n---\n", 1)[0]
    assert "\n..." not in front
    # The body shows the text as text: no live HTML outside the citation's code block
    # (where it is shown verbatim), and the BibTeX braces stay balanced.
    prose, rest = body.split("```bibtex\n", 1)
    citation, after = rest.split("\n```", 1)
    assert "<script>" not in prose + after
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in prose
    # The licence's link keeps its text whole.
    assert r"- \[x\]: {y}](https://example.org/licence?a=1&b=2#x)" in prose
    assert citation.count("{") - citation.count(r"\{") == citation.count("}") - citation.count(
        r"\}"
    )


@pytest.fixture
def private_dataset(organization):
    return make_dataset(organization, slug="private-notes", visibility="private")


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("anonymous", 404),
        ("outsider", 404),
        ("staff", 404),  # as the dataset's page: private means its organization only
        ("member", 200),
        ("owner", 200),
    ],
)
def test_a_private_datasets_card_is_for_its_organization(
    client, request, private_dataset, persona, status
):
    user = request.getfixturevalue(persona)
    if user.is_authenticated:
        client.force_login(user)
    page = client.get(reverse("catalog:dataset-detail", args=[private_dataset.public_id]))
    response = client.get(card_url(private_dataset))
    assert response.status_code == status
    assert page.status_code == status
    if status == 200:
        assert split(response.content.decode())[0]["pretty_name"] == private_dataset.name


def test_unpublished_unknown_and_removed_datasets_have_no_card(client, organization, owner, staff):
    draft = make_submission(owner, name="Draft")
    assert client.get(reverse("exports:dataset-card", args=[draft.public_id])).status_code == 404
    assert client.get(reverse("exports:dataset-card", args=["nosuchdataset"])).status_code == 404
    removed = make_dataset(organization, slug="removed")
    remove_dataset(removed, actor=staff, reason="Consent was never given.")
    response = client.get(card_url(removed))
    assert response.status_code == 410
    assert response.content.decode() == "Consent was never given."


def test_the_card_is_found_by_slug_as_the_page_is(client, organization):
    dataset = make_dataset(organization, slug="by-slug")
    response = client.get(reverse("exports:dataset-card", args=["by-slug"]))
    assert response.status_code == 200
    assert dataset.public_id in response.content.decode()
