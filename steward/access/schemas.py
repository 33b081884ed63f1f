"""The MDC download shapes (camelCase)."""

from datetime import UTC, datetime

from ninja import Schema

from .services import DownloadSession


class DownloadSessionOut(Schema):
    accessRecordId: str
    downloadToken: str
    downloadUrl: str
    expiresAt: str
    sizeBytes: str  # digits, as MDC sends it: sizes can exceed what some JSON readers hold
    contentType: str
    filename: str
    checksum: str


class SampleDownloadOut(Schema):
    downloadUrl: str
    filename: str
    sizeBytes: str
    contentType: str
    expiresAt: str


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def download_session(session: DownloadSession) -> dict:
    return {
        "accessRecordId": session.event_id,
        "downloadToken": session.token,
        "downloadUrl": session.url,
        "expiresAt": _iso(session.expires_at),
        "sizeBytes": str(session.size_bytes),
        "contentType": session.content_type,
        "filename": session.filename,
        "checksum": session.checksum,
    }


def sample_download(session: DownloadSession) -> dict:
    # No checksum, as on MDC: the SDK then never resumes a sample, and a replaced sample
    # gets a new file name anyway.
    return {
        "downloadUrl": session.url,
        "filename": session.filename,
        "sizeBytes": str(session.size_bytes),
        "contentType": session.content_type,
        "expiresAt": _iso(session.expires_at),
    }
