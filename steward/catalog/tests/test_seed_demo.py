import hashlib
import io
import tarfile
import wave

import pytest
from django.core.management import call_command

from steward.accounts.models import User
from steward.catalog.demo import DATASETS, DEMO_PASSWORD, build_archive, seed_demo, synthetic_wav
from steward.catalog.models import Dataset, DatasetFile, Visibility
from steward.organizations.models import Membership, Organization
from steward.storage import objectstore
from steward.storage.models import Blob

pytestmark = pytest.mark.django_db


def _stored_bytes(blob: Blob) -> bytes:
    with objectstore.open_for_reading(blob.key) as f:
        return f.read()


def _counts() -> tuple[int, ...]:
    return (
        User.objects.count(),
        Organization.objects.count(),
        Membership.objects.count(),
        Dataset.objects.count(),
        DatasetFile.objects.count(),
        Blob.objects.count(),
    )


def test_it_creates_a_varied_listed_catalogue():
    report = seed_demo()

    assert len(report.created_datasets) == len(DATASETS)
    listed = Dataset.objects.listed()
    assert listed.count() >= 20
    assert len(set(listed.values_list("language__code", flat=True))) >= 10
    assert len(set(listed.values_list("task", flat=True))) >= 5
    licences = set(Dataset.objects.values_list("license_abbreviation", flat=True))
    assert {"CC-BY-4.0", "CC0-1.0", "CC-BY-NC-4.0", "CC-BY-SA-4.0", "NOODL-1.0"} <= licences
    custom = Dataset.objects.get(slug="hazaragi-oral-histories")
    assert custom.license_name == "Hazara Community Stewardship Licence 1.0"
    assert custom.license_url == "https://hazaragi-archive.example.org/licence"
    paid = Dataset.objects.filter(is_paid=True)
    assert paid.exists()
    assert all(d.base_price_cents > 0 and d.currency == "usd" for d in paid)
    assert Dataset.objects.filter(visibility=Visibility.RESTRICTED).exists()
    assert Dataset.objects.filter(visibility=Visibility.PRIVATE).count() == 1
    # Every kind of term the platform carries out is on show.
    terms = {d.slug: d.usage_policy.current.terms for d in Dataset.objects.all()}
    assert all(terms.values())
    assert terms["kinshasa-french-broadcasts"].price_rules[0].price_cents == 0
    assert terms["swahili-call-in-shows"].questions
    assert terms["hazaragi-oral-histories"].verified_organization_required
    assert not terms["hazaragi-oral-histories"].licence.commercial_use
    assert terms["lingala-radio-speech"].is_open


def test_it_creates_users_who_can_sign_in_and_approved_organizations():
    seed_demo()

    reviewer = User.objects.get(username="reviewer")
    assert reviewer.is_staff
    assert reviewer.check_password(DEMO_PASSWORD)
    assert User.objects.get(username="datauser").check_password(DEMO_PASSWORD)
    organizations = Organization.objects.all()
    assert organizations.count() >= 3
    assert all(org.is_approved for org in organizations)
    # Every organization has an owner who can sign in and manage its datasets.
    for org in organizations:
        assert org.memberships.filter(role=Membership.Role.OWNER).exists()


def test_every_archive_is_stored_intact_and_extracts_safely(tmp_path):
    seed_demo()

    datasets = Dataset.objects.select_related("current_version")
    for dataset in datasets:
        files = {f.role: f for f in dataset.current_version.files.select_related("blob")}
        archive = files[DatasetFile.Role.ARCHIVE]
        assert archive.filename == f"{dataset.slug}.tar.gz" == dataset.filename
        for file in files.values():
            data = _stored_bytes(file.blob)
            assert len(data) == file.blob.size_bytes
            assert hashlib.sha256(data).hexdigest() == file.blob.sha256
            target = tmp_path / file.filename.removesuffix(".tar.gz")
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                tar.extractall(target, filter="data")
            extracted = [p for p in target.rglob("*") if p.is_file()]
            assert extracted, file.filename
            # Everything sits under one <slug>/ folder, as load_dataset expects.
            assert {p.relative_to(target).parts[0] for p in extracted} == {dataset.slug}
        assert dataset.checksum == archive.blob.sha256
        assert dataset.size_bytes == archive.blob.size_bytes
    with_sample = datasets.filter(has_sample=True).count()
    assert with_sample / datasets.count() >= 0.7


def test_speech_archives_hold_readable_wav_clips():
    seed_demo()

    for dataset in Dataset.objects.filter(task__in=["ASR", "TTS", "LID"]):
        blob = dataset.current_version.files.get(role=DatasetFile.Role.ARCHIVE).blob
        with tarfile.open(fileobj=io.BytesIO(_stored_bytes(blob)), mode="r:gz") as tar:
            clips = [m for m in tar.getmembers() if m.name.endswith(".wav")]
            assert clips, dataset.slug
            for member in clips:
                with wave.open(tar.extractfile(member)) as w:
                    assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 16000)
                    assert 0.5 <= w.getnframes() / 16000 <= 1.2


def test_transcripts_are_in_the_dataset_language():
    seed_demo()

    blob = (
        Dataset.objects.get(slug="yoruba-volunteer-speech")
        .current_version.files.get(role=DatasetFile.Role.ARCHIVE)
        .blob
    )
    with tarfile.open(fileobj=io.BytesIO(_stored_bytes(blob)), mode="r:gz") as tar:
        train = tar.extractfile("yoruba-volunteer-speech/train.tsv").read().decode()
    assert train.splitlines()[0] == "path\tsentence\tclient_id"
    assert "Ẹ kú àárọ̀." in train


def test_archives_are_deterministic():
    seed_demo()

    # A fresh build must give the very bytes stored, so a dataset's checksum never drifts.
    synthetic_wav.cache_clear()
    for spec in DATASETS:
        dataset = Dataset.objects.get(slug=spec.slug)
        assert hashlib.sha256(build_archive(spec)).hexdigest() == dataset.checksum
    header = build_archive(DATASETS[0], sample=True)[:10]
    # No file name (flags byte) and no timestamp in the gzip header.
    assert header[3] == 0
    assert header[4:8] == bytes(4)


def test_seeding_twice_changes_nothing():
    seed_demo()
    counts = _counts()
    checksums = dict(Dataset.objects.values_list("slug", "checksum"))

    report = seed_demo()

    assert not report.created_anything
    assert _counts() == counts
    assert dict(Dataset.objects.values_list("slug", "checksum")) == checksums


def test_the_command_seeds_then_reports_existing_data():
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert f"{len(DATASETS)} datasets" in out.getvalue()
    assert DEMO_PASSWORD in out.getvalue()

    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "already exists" in out.getvalue()
    assert Dataset.objects.count() == len(DATASETS)
