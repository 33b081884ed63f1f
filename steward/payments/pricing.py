"""Price arithmetic: base price, platform fee, total. Pure: imports only the standard library.

The creator receives the whole base price; the buyer pays the platform fee on top.
Rounding rule: the fee is base x rate rounded half up to a whole minor unit.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Quote:
    base_price_cents: int
    currency: str
    platform_fee_rate: Decimal
    platform_fee_cents: int
    total_price_cents: int


def platform_fee_cents(base_price_cents: int, rate: Decimal) -> int:
    if base_price_cents < 0:
        raise ValueError("a price cannot be negative")
    return int((Decimal(base_price_cents) * rate).to_integral_value(rounding=ROUND_HALF_UP))


def quote(base_price_cents: int, currency: str, rate: Decimal) -> Quote:
    """The amounts a buyer sees and pays for one purchase."""
    fee = platform_fee_cents(base_price_cents, rate)
    return Quote(
        base_price_cents=base_price_cents,
        currency=currency.lower(),
        platform_fee_rate=rate,
        platform_fee_cents=fee,
        total_price_cents=base_price_cents + fee,
    )
