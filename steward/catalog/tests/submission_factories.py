"""Submissions made through the services, ready for review."""

from steward.catalog.models import Submission
from steward.catalog.services import create_submission, submit_submission, update_submission

COMPLETE = {
    "shortDescription": "Read speech from a community radio.",
    "longDescription": "Twelve hours of read speech recorded in 2025.",
    "locale": "ln",
    "task": "ASR",
    "format": "WAV",
    "licenseAbbreviation": "CC-BY-4.0",
    "restrictions": "No speaker identification.",
    "forbiddenUsage": "Surveillance.",
    "pointOfContactFullName": "Marie Ilunga",
    "pointOfContactEmail": "marie@example.org",
    "rightsHolder": "Radio Kinshasa Community",
    "consentBasis": "informed_consent",
}


def make_submission(
    user, *, name: str = "Lingala Radio Speech", submit: bool = True, **fields
) -> Submission:
    submission = create_submission(user, data={"name": name})
    submission = update_submission(submission, actor=user, data={**COMPLETE, **fields})
    if submit:
        submission = submit_submission(submission, actor=user, agree_to_submit=True)
    return submission


# Form data for each step of the web form, as a browser posts it.


def description(submission, **overrides) -> dict:
    data = {
        "revision": submission.revision,
        "name": "Lingala Radio Speech",
        "slug": "",
        "shortDescription": "Read speech from a community radio.",
        "longDescription": "Twelve hours of read speech.",
        "locale": "ln",
        "task": "ASR",
        "format": "WAV",
    }
    return {**data, **overrides}


def terms(submission, **overrides) -> dict:
    data = {
        "revision": submission.revision,
        "licenseAbbreviation": "CC-BY-4.0",
        "customAbbreviation": "",
        "license": "",
        "licenseUrl": "",
        "intendedUsage": "Speech recognition for Lingala.",
        "restrictions": "No speaker identification.",
        "forbiddenUsage": "Surveillance.",
        "additionalConditions": "",
        "visibility": "public",
        "price": "",
    }
    return {**data, **overrides}


def people(submission, **overrides) -> dict:
    data = {
        "revision": submission.revision,
        "pointOfContactFullName": "Marie Ilunga",
        "pointOfContactEmail": "marie@example.org",
        "showContactInfo": "on",
    }
    return {**data, **overrides}


def rights(submission, **overrides) -> dict:
    data = {
        "revision": submission.revision,
        "rightsHolder": "Radio Kinshasa Community",
        "consentBasis": "informed_consent",
        "rightsStatement": "Every speaker signed the radio's consent form.",
    }
    return {**data, **overrides}
