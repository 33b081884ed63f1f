import uuid

from django import template
from django.utils.translation import gettext

from steward.catalog.models import DatasetFile
from steward.lib.countries import country_name
from steward.licensing.describe import describe_label
from steward.licensing.services import terms_text

from ..forms import ORGANIZATION_TYPE_LABELS, PURPOSE_LABELS
from ..models import DownloadEvent, Grant
from ..services import current_policy, decide_download, preview_clip_count

register = template.Library()

# What a refusal's code lets the visitor do next, on the dataset page.
ASK_CODES = {"access_not_requested", "request_denied"}


@register.inclusion_tag("access/download_box.html", takes_context=True)
def download_box(context, dataset):
    """The dataset page's download buttons, or why this visitor cannot download and what
    they can do about it (request access, ask again, renew, pay)."""
    request = context["request"]
    user = request.user
    archive = decide_download(user, dataset, DatasetFile.Role.ARCHIVE) if dataset.filename else None
    sample = decide_download(user, dataset, DatasetFile.Role.SAMPLE) if dataset.has_sample else None
    if archive is not None and not archive.allowed:
        refusal = archive
    elif sample is not None and not sample.allowed:
        refusal = sample
    else:
        refusal = None
    return {
        "dataset": dataset,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "signed_in": user.is_authenticated,
        "archive": archive,
        "sample": sample,
        "refusal": refusal,
        "may_ask": refusal is not None and refusal.code in ASK_CODES,
        "clips": range(preview_clip_count(user, dataset)),
        # The Buy form's idempotency token: submitting the same page twice makes one order.
        "buy_token": uuid.uuid4().hex,
    }


@register.inclusion_tag("access/terms_box.html")
def terms_box(dataset):
    """ "What you may do with this data": the terms in force in plain words, the licence's
    facts, the credit to give, the Local Contexts labels and notices with the communities'
    own words, and how many people were given access and downloaded it."""
    version = current_policy(dataset)
    if version is None:
        return {"terms": None}
    terms = version.terms
    # People, not grants: a renewed or re-granted user counts once.
    holders = Grant.objects.filter(dataset=dataset).order_by().values("user").distinct()
    downloads = DownloadEvent.objects.filter(dataset=dataset, file__role=DatasetFile.Role.ARCHIVE)
    # Each label and its community's words are shown below with a badge: not twice. What a
    # label's rules mean stays among the terms too.
    told = {describe_label(label, gettext=gettext)[0] for label in terms.labels}
    return {
        "dataset": dataset,
        "terms": terms,
        "licence": terms.licence,
        "sentences": [s for s in terms_text(terms) if s not in told],
        "labels": [
            {
                "id": label.id,
                "kind": label.type.kind.value,
                "kind_name": label.type.kind_name,
                "name": label.type.name,
                "code": label.type.code,
                "url": label.type.url,
                "community": label.community,
                "text": label.text,
                "description": label.type.description,
                "meaning": label.type.meaning,
                "restricts": bool(label.type.rules),
            }
            for label in terms.labels
        ],
        "grant_count": holders.count(),
        "download_count": downloads.count(),
    }


@register.filter
def country(code: str) -> str:
    """An ISO 3166-1 alpha-2 code's country name."""
    return country_name(code) if code else ""


@register.filter
def purpose(value: str) -> str:
    """A declared purpose in words."""
    return str(PURPOSE_LABELS.get(value, value))


@register.filter
def organization_type(value: str) -> str:
    return str(ORGANIZATION_TYPE_LABELS.get(value, value))
