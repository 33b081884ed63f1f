"""Datasets published the way the product publishes them: a submission with real files,
inspected, then approved by a reviewer with the checklist."""

import io

import pytest

from steward.catalog import demo
from steward.catalog.models import Submission
from steward.catalog.services import inspect_blob
from steward.catalog.tests.submission_factories import make_submission
from steward.moderation.services import applicable_checks, review_submission
from steward.storage.services import store_blob

# The demo's read-speech dataset: metadata.csv (file_name, transcript, speaker) beside clips.
SPEECH = next(spec for spec in demo.DATASETS if spec.layout == "index")
DATASHEET = {
    "intendedUsage": "Speech recognition for Lingala.",
    "ethicalReviewProcess": "The radio's listeners' council approved the recordings.",
    "annotationProcess": "Two speakers transcribed each recording; a third checked one in ten.",
    "knownBiases": "Mostly men over 40 from Kinshasa; few speakers of the eastern dialects.",
    "additionalConditions": "Credit the radio.",
    "rightsStatement": "Every speaker signed the radio's consent form.",
    "pointOfContactEmail": "marie@example.org",
    "showContactInfo": False,
}
LABELLED = {"labels": [{"id": "tk-attribution", "community": "Radio Kinshasa listeners"}]}


def _store(data: bytes, filename: str):
    return store_blob(
        io.BytesIO(data), prefix="test", filename=filename, content_type="application/gzip"
    )


def publish_reviewed(
    user,
    reviewer,
    *,
    archive: bytes | None = None,
    sample: bytes | None = None,
    name: str = "Lingala Radio Speech",
    **fields,
) -> Submission:
    """A submission with files, inspected and approved by `reviewer`; returns it, published."""
    submission = make_submission(user, name=name, **{**DATASHEET, **fields})
    files = {}
    if archive is not None:
        files.update(archive=_store(archive, "speech.tar.gz"), archive_name="speech.tar.gz")
    if sample is not None:
        files.update(
            sample=_store(sample, "speech-sample.tar.gz"), sample_name="speech-sample.tar.gz"
        )
    if files:
        # Attaching verified blobs directly stands for a finished upload (test_uploads_api
        # covers the upload itself).
        Submission.objects.filter(pk=submission.pk).update(**files)
        submission.refresh_from_db()
    for blob in (submission.archive, submission.sample):
        if blob is not None:
            inspect_blob(blob, locale="ln")
    review_submission(
        submission,
        reviewer=reviewer,
        decision="approve",
        checklist=dict.fromkeys(applicable_checks(submission), True),
    )
    submission.refresh_from_db()
    return submission


@pytest.fixture
def stranger(db):
    """Signed in, with no organization."""
    from steward.accounts.services import create_user

    return create_user("stranger", email="stranger@example.org", password="a-long-test-password")


@pytest.fixture
def speech_archive() -> bytes:
    return demo.build_archive(SPEECH)


@pytest.fixture
def published(owner, staff, speech_archive):
    """A public dataset, reviewed, with the demo speech archive and a sample."""
    submission = publish_reviewed(
        owner,
        staff,
        archive=speech_archive,
        sample=demo.build_archive(SPEECH, sample=True),
        usagePolicy=LABELLED,
    )
    return submission.dataset


@pytest.fixture
def private(owner, staff, speech_archive):
    submission = publish_reviewed(
        owner, staff, archive=speech_archive, name="Private speech", visibility="private"
    )
    return submission.dataset


# Who reads a dataset's exports (Croissant, provenance bundle): the personas of the root
# conftest, and the status each gets.
PERSONAS = ["anonymous", "stranger", "outsider", "member", "owner", "staff"]

# persona -> status, for a dataset of each visibility
VISIBILITY = {
    "public": dict.fromkeys(PERSONAS, 200),
    "restricted": dict.fromkeys(PERSONAS, 200),
    "private": {
        "anonymous": 404,
        "stranger": 404,
        "outsider": 404,
        "member": 200,
        "owner": 200,
        # As on the dataset's page: a private dataset is its organization's alone.
        "staff": 404,
    },
}

# persona -> status for a withdrawn version: its records stay with the organization.
WITHDRAWN = {
    "anonymous": 410,
    "stranger": 410,
    "outsider": 410,
    "member": 200,
    "owner": 200,
    "staff": 410,
}


def get_as(client, auth_for, request, persona: str, url: str):
    user = request.getfixturevalue(persona)
    return client.get(url, **auth_for(user))
