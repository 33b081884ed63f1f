"""Server-drawn SVG charts for the usage pages, and the words their labels use.

The charts are pictures of tables the page also shows: each has a title and a short
description for screen readers, and each bar a tooltip with its figure."""

from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from steward.lib import countries
from steward.lib.charts import Bar, stacked_bar_chart

from .. import forms
from ..models import AccessRequest
from ..queries import Series

register = template.Library()

# Colours s0-s6 (see steward.css): a purpose or status keeps its colour from
# chart to chart; other keys take s0-s5 in turn; s6 (grey) is for "none declared".
COLOURS = 6
FIXED_COLOURS = {
    "purpose": {"research": 0, "education": 1, "non_commercial": 3, "commercial": 5, "": 6},
    "status": {"approved": 2, "pending": 1, "denied": 5},
}

# Downloads without a grant (open terms, the organization's own members) declare no purpose.
NO_PURPOSE = pgettext_lazy("usage purpose", "None declared (open terms or members)")


@register.filter
def purpose_label(value: str) -> str:
    if not value:
        return str(NO_PURPOSE)
    return str(forms.PURPOSE_LABELS.get(value, value))


@register.filter
def status_label(value: str) -> str:
    try:
        return str(AccessRequest.Status(value).label)
    except ValueError:
        return value


@register.filter
def country_name(code: str) -> str:
    """A country's name in the page's language, from its ISO 3166-1 code."""
    if not code:
        return _("None declared (open terms or members)")
    return countries.country_name(code)


@register.filter(name="key_label")
def _label(key: str, dimension: str) -> str:
    """A series key's name: `{{ key|key_label:"purpose" }}` (or "status", "country")."""
    if dimension == "purpose":
        return purpose_label(key)
    if dimension == "status":
        return status_label(key)
    return country_name(key)


@register.filter
def bucket_label(start: date, bucket: str) -> str:
    """A bucket's full name: "March 2025", "Week of 3 March 2025", "3 March 2025"."""
    if bucket == "month":
        return date_format(start, "YEAR_MONTH_FORMAT")
    if bucket == "week":
        return _("Week of %(date)s") % {"date": date_format(start, "DATE_FORMAT")}
    return date_format(start, "DATE_FORMAT")


def _axis_labels(start: date, bucket: str) -> tuple[str, str]:
    """What goes under a bar: a short name, and the larger unit it belongs to (shown when
    it changes)."""
    if bucket == "month":
        return date_format(start, "M"), date_format(start, "Y")
    return date_format(start, "j"), date_format(start, "M")


def _colour(dimension: str, key: str, position: int) -> int:
    fixed = FIXED_COLOURS.get(dimension, {})
    if key in fixed:
        return fixed[key]
    return 6 if key == "" else position % COLOURS


@register.simple_tag
def stacked_bars(series: Series, dimension: str, title: str, chart_id: str) -> str:
    """A stacked bar per bucket of `series`, a colour per key (purpose, status or country,
    as `dimension` says), with a legend. The page shows the same figures in a table."""
    legend = [
        (_colour(dimension, key, i), _label(key, dimension)) for i, key in enumerate(series.keys)
    ]
    bars = [
        Bar(bucket_label(b.start, series.bucket), *_axis_labels(b.start, series.bucket), b.values)
        for b in series.buckets
    ]
    busiest = max(series.buckets, key=lambda b: b.total, default=None)
    description = _("%(total)s in all, in %(count)s bars.") % {
        "total": series.total,
        "count": len(bars),
    }
    if busiest is not None and busiest.total:
        description += " " + _("The most: %(value)s, in %(bucket)s.") % {
            "value": busiest.total,
            "bucket": bucket_label(busiest.start, series.bucket),
        }
    return stacked_bar_chart(
        bars, legend=legend, title=title, description=description, chart_id=chart_id
    )


@register.simple_tag
def share_bar(value: int, maximum: int) -> str:
    """A horizontal bar, `value` out of `maximum`, beside a figure the table cell shows."""
    width = 100 * value / maximum if maximum else 0
    return format_html(
        '<svg class="share-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false"><rect width="{}" height="10"/></svg>',
        f"{width:.1f}".removesuffix(".0"),
    )
