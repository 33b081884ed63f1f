"""Price arithmetic: base price, platform fee, total, revenue shares. Pure: imports only the
standard library.

The creator receives the whole base price; the buyer pays the platform fee on top.
Rounding rule: the fee is base x rate rounded half up to a whole minor unit.
Remainder-cent rule for revenue shares: each recipient gets floor(amount x share / 10000) and
the organization keeps everything left, so a split never loses or creates a cent.
"""

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar

# Shares are in basis points: 1/100 of a percent, so 10000 is the whole amount.
WHOLE = 10000

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class Quote:
    base_price_cents: int
    currency: str
    platform_fee_rate: Decimal
    platform_fee_cents: int
    total_price_cents: int


def _check_cents(value: int, what: str) -> None:
    # bool is an int subclass; True cents is a bug, not a price.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number of minor units, not {value!r}")
    if value < 0:
        raise ValueError(f"{what} cannot be negative")


def platform_fee_cents(base_price_cents: int, rate: Decimal) -> int:
    _check_cents(base_price_cents, "a price")
    if not isinstance(rate, Decimal) or not rate.is_finite() or not 0 <= rate <= 1:
        raise ValueError(f"the platform fee rate must be a Decimal from 0 to 1, not {rate!r}")
    return int((Decimal(base_price_cents) * rate).to_integral_value(rounding=ROUND_HALF_UP))


def quote(base_price_cents: int, currency: str, rate: Decimal) -> Quote:
    """The amounts a buyer sees and pays for one purchase."""
    is_code = isinstance(currency, str) and len(currency) == 3 and currency.isascii()
    if not (is_code and currency.isalpha()):
        raise ValueError(f"a currency is a three-letter ISO 4217 code, not {currency!r}")
    fee = platform_fee_cents(base_price_cents, rate)
    return Quote(
        base_price_cents=base_price_cents,
        currency=currency.lower(),
        platform_fee_rate=rate,
        platform_fee_cents=fee,
        total_price_cents=base_price_cents + fee,
    )


def split(
    amount_cents: int, shares: Sequence[tuple[K, int]], *, rest: K | None = None
) -> dict[K | None, int]:
    """Divide `amount_cents` among recipients by `shares` (key, basis points) and give what is
    left to `rest` (the organization; key None unless given).

    Remainder-cent rule: each recipient gets floor(amount x basis points / 10000); every cent
    the floors leave over stays with `rest`. The parts therefore always add up to the amount,
    none is negative, and a larger share never gets less than a smaller one. Shares must be
    1 to 10000 basis points each, at most 10000 together, with distinct keys other than `rest`.
    """
    _check_cents(amount_cents, "an amount")
    parts: dict[K | None, int] = {}
    total_points = 0
    for key, points in shares:
        if not isinstance(points, int) or isinstance(points, bool) or points <= 0:
            raise ValueError(f"a share is a positive whole number of basis points, not {points!r}")
        if key == rest:
            raise ValueError(f"{key!r} is the key of the rest; a recipient needs another")
        if key in parts:
            raise ValueError(f"each recipient has one share: {key!r} appears twice")
        total_points += points
        if total_points > WHOLE:
            raise ValueError("shares cannot add up to more than 100%")
        parts[key] = amount_cents * points // WHOLE
    parts[rest] = amount_cents - sum(parts.values())
    return parts
