"""Server-drawn SVG bar charts: stacked bars over time, with gridlines, axis labels, a legend,
a title and a description for screen readers, and a tooltip on each bar. Pages show the same
figures in a table; the chart is a picture of it."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

WIDTH = 640
RIGHT, TOP, BOTTOM = 8, 10, 40
# At most this many bars carry a label under them.
MAX_LABELS = 12


@dataclass(frozen=True)
class Bar:
    name: str  # its full name, in tooltips ("March 2025")
    short: str  # under the bar ("Mar")
    unit: str  # under that, shown when it changes ("2025")
    values: Sequence[int]  # one per legend entry, stacked bottom up; zero or less: not drawn


def nice_step(maximum: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most four lines."""
    if maximum <= 4:
        return 1
    rough = maximum / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= rough:
            return int(multiple * magnitude)
    return int(10 * magnitude)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def stacked_bar_chart(
    bars: Sequence[Bar],
    *,
    legend: Sequence[tuple[int, str]],
    title: str,
    description: str,
    chart_id: str,
    value_text: Callable[[int], str] = str,
    step: int | None = None,
    height: int = 260,
    left: int = 44,
) -> SafeString:
    """The chart: `legend` gives each stacked value's colour class (s0-s6) and name;
    `value_text` writes a value in tooltips and on the gridlines; `step` is the gridline
    step (by default a round one for the tallest bar)."""
    tallest = max((sum(max(v, 0) for v in bar.values) for bar in bars), default=0)
    step = step or nice_step(tallest)
    top = max(step, step * math.ceil(tallest / step))
    plot_width, plot_height = WIDTH - left - RIGHT, height - TOP - BOTTOM
    slot = plot_width / max(len(bars), 1)
    width = max(slot * 0.7, 1)
    scale = plot_height / top
    base = TOP + plot_height

    grid = []
    for value in range(0, top + 1, step):
        y = base - value * scale
        grid.append(
            format_html(
                '<line class="grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                left,
                WIDTH - RIGHT,
                _n(y),
                _n(y),
                left - 6,
                _n(y + 4),
                value_text(value),
            )
        )

    rects, axis = [], []
    every = math.ceil(len(bars) / MAX_LABELS) if bars else 1
    previous_unit = None
    for index, bar in enumerate(bars):
        x = left + index * slot + (slot - width) / 2
        y = base
        for (colour, label), value in zip(legend, bar.values, strict=True):
            if value <= 0:
                continue
            size = value * scale
            y -= size
            rects.append(
                format_html(
                    '<rect class="s{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}</title></rect>",
                    colour,
                    _n(x),
                    _n(y),
                    _n(width),
                    _n(size),
                    bar.name,
                    label,
                    value_text(value),
                )
            )
        if index % every == 0:
            middle = _n(x + width / 2)
            axis.append(
                format_html(
                    '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                    middle,
                    base + 16,
                    bar.short,
                )
            )
            if bar.unit != previous_unit:
                axis.append(
                    format_html(
                        '<text class="tick unit" x="{}" y="{}" text-anchor="middle">{}</text>',
                        middle,
                        base + 32,
                        bar.unit,
                    )
                )
                previous_unit = bar.unit

    return format_html(
        '<figure class="chart" tabindex="0">'
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<g class="grid">{}</g><g class="bars">{}</g><g class="axis">{}</g></svg>'
        '<figcaption><ul class="legend">{}</ul></figcaption></figure>',
        WIDTH,
        height,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        description,
        format_html_join("", "{}", ((line,) for line in grid)),
        format_html_join("", "{}", ((rect,) for rect in rects)),
        format_html_join("", "{}", ((text,) for text in axis)),
        format_html_join(
            "",
            '<li><span class="swatch s{}" aria-hidden="true"></span>{}</li>',
            legend,
        ),
    )
