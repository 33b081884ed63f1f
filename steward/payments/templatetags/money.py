import math
from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from steward.catalog.schemas import pricing_of

from ..models import Recipient

register = template.Library()


@register.filter
def money(cents, currency: str = "usd") -> str:
    """`25000|money:"usd"` → "USD 250.00" (minor units of a two-decimal currency)."""
    if cents in (None, ""):
        return ""
    amount = number_format(Decimal(int(cents)) / 100, decimal_pos=2, force_grouping=True)
    return f"{(currency or 'usd').upper()} {amount}"


# The earnings chart: a stacked bar per month (the organization's part, its recipients' part).
WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 10, 40


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _step(maximum: int) -> int:
    """A round gridline step (1, 2 or 5 times a power of ten) giving at most four lines."""
    if maximum <= 4:
        return 1
    rough = maximum / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= rough:
            return int(multiple * magnitude)
    return int(10 * magnitude)


@register.simple_tag
def earnings_chart(months, currency: str, title: str, chart_id: str) -> str:
    """Earnings per month as stacked bars (the page shows the same figures in a table).
    Refunds can make a month negative; its bar is then drawn at 0 and the table says so."""
    tallest = max((max(m.own_cents, 0) + max(m.shared_cents, 0) for m in months), default=0)
    step = _step(math.ceil(tallest / 100)) * 100
    top = max(step, step * math.ceil(tallest / step))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(months), 1)
    bar = max(slot * 0.7, 1)
    scale = plot_height / top
    base = TOP + plot_height
    grid = []
    for value in range(0, top + 1, step):
        y = base - value * scale
        grid.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}"/>'
                '<text class="tick" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                WIDTH - RIGHT,
                _n(y),
                _n(y),
                LEFT - 6,
                _n(y + 4),
                number_format(value // 100, force_grouping=True),
            )
        )
    bars, axis = [], []
    previous_year = None
    for index, month in enumerate(months):
        x = LEFT + index * slot + (slot - bar) / 2
        y = base
        name = date_format(month.start, "YEAR_MONTH_FORMAT")
        for css, cents, label in (
            ("s0", month.own_cents, _("the organization")),
            ("s1", month.shared_cents, _("its recipients")),
        ):
            if cents <= 0:
                continue
            height = cents * scale
            y -= height
            bars.append(
                format_html(
                    '<rect class="{}" x="{}" y="{}" width="{}" height="{}">'
                    "<title>{}: {} {}</title></rect>",
                    css,
                    _n(x),
                    _n(y),
                    _n(bar),
                    _n(height),
                    name,
                    label,
                    money(cents, currency),
                )
            )
        middle = _n(x + bar / 2)
        axis.append(
            format_html(
                '<text class="tick" x="{}" y="{}" text-anchor="middle">{}</text>',
                middle,
                base + 16,
                date_format(month.start, "M"),
            )
        )
        if month.start.year != previous_year:
            axis.append(
                format_html(
                    '<text class="tick unit" x="{}" y="{}" text-anchor="middle">{}</text>',
                    middle,
                    base + 32,
                    month.start.year,
                )
            )
            previous_year = month.start.year
    total = sum(m.total_cents for m in months)
    description = _("%(total)s earned in %(count)s months.") % {
        "total": money(total, currency),
        "count": len(months),
    }
    return format_html(
        '<figure class="chart">'
        '<svg viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title {}-desc">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<g class="grid">{}</g><g class="bars">{}</g><g class="axis">{}</g></svg>'
        '<figcaption><ul class="legend">'
        '<li><span class="swatch s0" aria-hidden="true"></span>{}</li>'
        '<li><span class="swatch s1" aria-hidden="true"></span>{}</li>'
        "</ul></figcaption></figure>",
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
        _("The organization's part"),
        _("Its recipients' part"),
    )


@register.inclusion_tag("payments/price_share.html")
def price_share(dataset) -> dict:
    """How much of a paid dataset's price goes to the community that publishes it, and whom
    it shares that with (its active recipients and their shares)."""
    pricing = pricing_of(dataset)
    if not pricing["isPaid"]:
        return {"price": None}
    recipients = [
        (r.name, f"{Decimal(r.share_basis_points) / 100:f}")
        for r in Recipient.objects.filter(
            organization_id=dataset.organization_id, active=True
        ).order_by("-share_basis_points", "name")
    ]
    return {
        "price": money(pricing["basePriceCents"], pricing["currency"]),
        "organization": dataset.organization.name,
        "recipients": recipients,
    }
