"""Amounts for people to read: integer minor units and a currency code."""

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _


def format_money(cents: int, currency: str = "usd") -> str:
    """1250, "usd" → "USD 12.50", in the page's number format (two-decimal currencies)."""
    amount = number_format(Decimal(int(cents)) / 100, decimal_pos=2, force_grouping=True)
    return _("%(currency)s %(amount)s") % {
        "currency": (currency or "usd").upper(),
        "amount": amount,
    }
