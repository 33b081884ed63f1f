import math
from decimal import Decimal

from django import template
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from steward.catalog.schemas import pricing_of
from steward.lib.charts import Bar, nice_step, stacked_bar_chart
from steward.lib.money import format_money

from ..models import Recipient

register = template.Library()


@register.filter
def money(cents, currency: str = "usd") -> str:
    """`25000|money:"usd"` → "USD 250.00" (minor units of a two-decimal currency)."""
    if cents in (None, ""):
        return ""
    return format_money(cents, currency)


@register.simple_tag
def earnings_chart(months, currency: str, title: str, chart_id: str) -> str:
    """Earnings per month as stacked bars: the organization's part, its recipients' part (the
    page shows the same figures in a table). Refunds can make a month negative; its bar is
    then drawn at 0 and the table says so."""
    bars = [
        Bar(
            date_format(month.start, "YEAR_MONTH_FORMAT"),
            date_format(month.start, "M"),
            str(month.start.year),
            (month.own_cents, month.shared_cents),
        )
        for month in months
    ]
    tallest = max((max(m.own_cents, 0) + max(m.shared_cents, 0) for m in months), default=0)
    description = _("%(total)s earned in %(count)s months.") % {
        "total": money(sum(m.total_cents for m in months), currency),
        "count": len(months),
    }
    return stacked_bar_chart(
        bars,
        legend=[(0, _("The organization's part")), (1, _("Its recipients' part"))],
        title=title,
        description=description,
        chart_id=chart_id,
        value_text=lambda cents: money(cents, currency),
        # Gridlines on whole currency units.
        step=nice_step(math.ceil(tallest / 100)) * 100,
        height=240,
        left=84,
    )


@register.inclusion_tag("payments/price_share.html")
def price_share(dataset) -> dict:
    """How much of a paid dataset's price goes to the community that publishes it, and whom
    it shares that with (its active recipients and their shares)."""
    pricing = pricing_of(dataset)
    if not pricing["isPaid"]:
        return {"price": None}
    recipients = [
        (r.name, number_format(Decimal(r.share_basis_points) / 100))
        for r in Recipient.objects.filter(
            organization_id=dataset.organization_id, active=True
        ).order_by("-share_basis_points", "name")
    ]
    return {
        "price": money(pricing["basePriceCents"], pricing["currency"]),
        "organization": dataset.organization.name,
        "recipients": recipients,
    }
