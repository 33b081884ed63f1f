"""Server-drawn SVG charts for the usage pages, and the words their labels use.

The charts are pictures of tables the page also shows: each has a title and a short
description for screen readers, and each bar a tooltip with its figure."""

import math
from datetime import date

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from .. import forms
from ..models import AccessRequest
from ..queries import Series

register = template.Library()

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 40
# Colours s0-s6 (see access/usage_styles.html): a purpose or status keeps its colour from
# chart to chart; other keys take s0-s5 in turn; s6 (grey) is for "none declared".
COLOURS = 6
FIXED_COLOURS = {
    "purpose": {"research": 0, "education": 1, "non_commercial": 3, "commercial": 5, "": 6},
    "status": {"approved": 2, "pending": 1, "denied": 5},
}
# At most this many bars carry a label under them.
MAX_LABELS = 12

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
    return forms.country_name(code)


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


def _step(maximum: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most four lines."""
    if maximum <= 4:
        return 1
    rough = maximum / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= rough:
            return int(multiple * magnitude)
    return int(10 * magnitude)  # not reached


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


@register.simple_tag
def stacked_bars(series: Series, dimension: str, title: str, chart_id: str) -> str:
    """A stacked bar per bucket of `series`, a colour per key (purpose, status or country,
    as `dimension` says), with a legend. The page shows the same figures in a table."""
    count = len(series.buckets)
    step = _step(series.max_total)
    top = max(step, step * math.ceil(series.max_total / step))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(count, 1)
    bar = max(slot * 0.7, 1)
    scale = plot_height / top
    base = TOP + plot_height

    grid = []
    for value in range(0, top + 1, step):
        y = base - value * scale
        grid.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y),
                _n(y),
                LEFT - 6,
                _n(y + 4),
                value,
            )
        )

    labels = [_label(key, dimension) for key in series.keys]
    colours = [_colour(dimension, key, i) for i, key in enumerate(series.keys)]
    bars, axis = [], []
    every = math.ceil(count / MAX_LABELS) if count else 1
    previous_unit = None
    for index, bucket in enumerate(series.buckets):
        x = LEFT + index * slot + (slot - bar) / 2
        y = base
        name = bucket_label(bucket.start, series.bucket)
        for position, value in enumerate(bucket.values):
            if not value:
                continue
            height = value * scale
            y -= height
            bars.append(
                format_html(
                    '<rect class="s{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}</title></rect>",
                    colours[position],
                    _n(x),
                    _n(y),
                    _n(bar),
                    _n(height),
                    name,
                    labels[position],
                    value,
                )
            )
        if index % every == 0:
            short, unit = _axis_labels(bucket.start, series.bucket)
            middle = _n(x + bar / 2)
            axis.append(
                format_html(
                    '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                    middle,
                    base + 16,
                    short,
                )
            )
            if unit != previous_unit:
                axis.append(
                    format_html(
                        '<text class="tick unit" x="{}" y="{}" text-anchor="middle">{}</text>',
                        middle,
                        base + 32,
                        unit,
                    )
                )
                previous_unit = unit

    busiest = max(series.buckets, key=lambda b: b.total, default=None)
    description = _("%(total)s in all, in %(count)s bars.") % {
        "total": series.total,
        "count": count,
    }
    if busiest is not None and busiest.total:
        description += " " + _("The most: %(value)s, in %(bucket)s.") % {
            "value": busiest.total,
            "bucket": bucket_label(busiest.start, series.bucket),
        }
    legend = format_html_join(
        "",
        '<li><span class="swatch s{}" aria-hidden="true"></span>{}</li>',
        zip(colours, labels, strict=True),
    )
    return format_html(
        '<figure class="chart">'
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<g class="grid">{}</g><g class="bars">{}</g><g class="axis">{}</g></svg>'
        '<figcaption><ul class="legend">{}</ul></figcaption></figure>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        format_html_join("", "{}", ((line,) for line in grid)),
        format_html_join("", "{}", ((rect,) for rect in bars)),
        format_html_join("", "{}", ((text,) for text in axis)),
        legend,
    )


@register.simple_tag
def share_bar(value: int, maximum: int) -> str:
    """A horizontal bar, `value` out of `maximum`, beside a figure the table cell shows."""
    width = 100 * value / maximum if maximum else 0
    return format_html(
        '<svg class="share-bar" viewBox="0 0 100 10" preserveAspectRatio="none" '
        'aria-hidden="true" focusable="false"><rect width="{}" height="10"/></svg>',
        _n(width),
    )
