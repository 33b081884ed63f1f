from django import template

from steward.catalog.models import DatasetFile

from ..services import decide_download, preview_clip_count

register = template.Library()


@register.inclusion_tag("access/download_box.html", takes_context=True)
def download_box(context, dataset):
    """The dataset page's download buttons, or why this visitor cannot download."""
    request = context["request"]
    user = request.user
    return {
        "dataset": dataset,
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "signed_in": user.is_authenticated,
        "archive": decide_download(user, dataset, DatasetFile.Role.ARCHIVE)
        if dataset.filename
        else None,
        "sample": decide_download(user, dataset, DatasetFile.Role.SAMPLE)
        if dataset.has_sample
        else None,
        "clips": range(preview_clip_count(user, dataset)),
    }
