"""Filters for showing a file inspection report."""

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

register = template.Library()

KIND_LABELS = {
    "audio": _("Audio"),
    "text": _("Text"),
    "table": _("Tables"),
    "image": _("Images"),
    "other": _("Other files"),
}


@register.filter
def duration(seconds) -> str:
    """12.5 -> "12.5 s"; 3725 -> "1:02:05"."""
    if seconds is None or seconds == "":
        return "—"
    seconds = float(seconds)
    if seconds < 60:
        return _("%(seconds)s s") % {"seconds": number_format(seconds, 1)}
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


@register.filter
def percent(share) -> str:
    return f"{round(float(share or 0) * 100)}%"


@register.filter
def channels(count) -> str:
    names = {"1": _("mono"), "2": _("stereo")}
    return str(names.get(str(count), count))
