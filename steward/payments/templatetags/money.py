from decimal import Decimal

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def money(cents, currency: str = "usd") -> str:
    """`25000|money:"usd"` → "USD 250.00" (minor units of a two-decimal currency)."""
    if cents in (None, ""):
        return ""
    amount = number_format(Decimal(int(cents)) / 100, decimal_pos=2, force_grouping=True)
    return f"{(currency or 'usd').upper()} {amount}"
