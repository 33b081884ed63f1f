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
