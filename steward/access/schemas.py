"""The API shapes (camelCase): MDC download sessions, access requests and grants."""

from decimal import Decimal

from django.conf import settings
from ninja import Schema

from steward.lib.times import api_time
from steward.payments.pricing import quote

from .models import AccessRequest, Grant
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


def download_session(session: DownloadSession) -> dict:
    return {
        "accessRecordId": session.event_id,
        "downloadToken": session.token,
        "downloadUrl": session.url,
        "expiresAt": api_time(session.expires_at),
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
        "expiresAt": api_time(session.expires_at),
    }


# Access requests and grants.


def _price(cents: int, currency: str) -> dict | None:
    if not cents:
        return None
    q = quote(cents, currency, Decimal(settings.STEWARD_PLATFORM_FEE_RATE))
    return {
        "basePriceCents": q.base_price_cents,
        "currency": q.currency,
        "platformFeeRate": str(q.platform_fee_rate),
        "platformFeeCents": q.platform_fee_cents,
        "totalPriceCents": q.total_price_cents,
    }


def grant_payload(grant: Grant) -> dict:
    return {
        "id": grant.public_id,
        "dataset": grant.dataset.public_id,
        "requestId": grant.request.public_id,
        "status": "active" if grant.is_active() else ("revoked" if grant.revoked_at else "expired"),
        "purpose": grant.purpose,
        "country": grant.country,
        "termsVersion": grant.policy_version.number,
        "price": _price(grant.price_cents, grant.currency),
        "paid": grant.is_paid,
        "createdAt": api_time(grant.created_at),
        "expiresAt": api_time(grant.expires_at),
        "renewedAt": api_time(grant.renewed_at),
        "usageReport": grant.usage_report,
        "revokedAt": api_time(grant.revoked_at),
        "revocationReason": grant.revocation_reason,
    }


def request_payload(request: AccessRequest, *, for_owner: bool = False) -> dict:
    grant = getattr(request, "grant", None) if request.status == "approved" else None
    votes = list(request.votes.all())
    body = {
        "id": request.public_id,
        "status": request.status,
        "reason": request.reason,
        "grantId": grant.public_id if grant else None,
        "dataset": {
            "id": request.dataset.public_id,
            "slug": request.dataset.slug,
            "name": request.dataset.name,
        },
        "purpose": request.purpose,
        "country": request.country,
        "organizationName": request.organization_name,
        "organizationType": request.organization_type,
        "organizationWebsite": request.organization_website,
        "organizationVerified": request.organization_verified,
        "intendedUse": request.intended_use,
        "answers": request.answers,
        "termsVersion": request.policy_version.number,
        "price": _price(request.price_cents, request.currency),
        "approvals": sum(1 for v in votes if v.decision == "approve"),
        "approvalsRequired": request.policy_version.terms.guardians_required,
        "createdAt": api_time(request.created_at),
        "decidedAt": api_time(request.decided_at),
        "grant": grant_payload(grant) if grant else None,
    }
    if for_owner:
        body["requester"] = {
            "username": request.user.username,
            "email": request.user.email,
            "ipCountry": request.ip_country or None,
        }
    return body
