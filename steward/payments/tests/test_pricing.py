"""Pricing arithmetic: the creator's price is untouched, the fee goes on top."""

import ast
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.payments import pricing

bases = st.integers(min_value=0, max_value=10**12)
# Fee rates as an operator sets them: 0 to 100% with up to four decimals.
rates = st.integers(min_value=0, max_value=10000).map(lambda n: Decimal(n) / 10000)
currencies = st.sampled_from(["usd", "USD", "eur", "kes", "Xof"])


@pytest.mark.parametrize(
    ("base", "rate", "fee"),
    [
        (25000, "0.05", 1250),
        (10000, "0.05", 500),
        (1, "0.05", 0),  # 0.05 rounds down
        (10, "0.05", 1),  # 0.5 rounds half up
        (30, "0.05", 2),  # 1.5 rounds half up
        (99999, "0.05", 5000),  # 4999.95
        (12345, "0", 0),
        (5_000_000, "0.125", 625_000),
    ],
)
def test_fee_rounds_half_up_to_a_whole_cent(base, rate, fee):
    quote = pricing.quote(base, "USD", Decimal(rate))
    assert quote.platform_fee_cents == fee
    assert quote.base_price_cents == base
    assert quote.total_price_cents == base + fee
    assert quote.currency == "usd"


def test_negative_prices_are_refused():
    with pytest.raises(ValueError, match="negative"):
        pricing.platform_fee_cents(-1, Decimal("0.05"))


def test_pricing_imports_only_the_standard_library():
    tree = ast.parse(Path(pricing.__file__).read_text())
    modules = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert modules <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)


def test_importing_pricing_loads_no_django():
    code = (
        "import sys\n"
        "import steward.payments.pricing\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not loaded, loaded\n"
    )
    root = Path(pricing.__file__).resolve().parent.parent.parent
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@given(bases, currencies, rates)
def test_the_total_is_the_untouched_base_plus_the_fee(base, currency, rate):
    quote = pricing.quote(base, currency, rate)
    assert quote.base_price_cents == base
    assert quote.total_price_cents == quote.base_price_cents + quote.platform_fee_cents
    for amount in (quote.base_price_cents, quote.platform_fee_cents, quote.total_price_cents):
        assert type(amount) is int and amount >= 0
    assert quote.currency == currency.lower()
    assert quote.platform_fee_rate == rate


@given(bases, rates)
def test_the_fee_is_base_times_rate_rounded_half_up(base, rate):
    fee = pricing.platform_fee_cents(base, rate)
    exact = Fraction(base) * Fraction(rate)
    # Half up: the nearest whole cent, and exactly half a cent goes up.
    assert fee - Fraction(1, 2) <= exact < fee + Fraction(1, 2)
    assert fee == int((Decimal(base) * rate).to_integral_value(rounding=ROUND_HALF_UP))


@given(bases, rates, rates)
def test_a_higher_rate_or_price_never_lowers_the_fee(base, rate_a, rate_b):
    low, high = sorted([rate_a, rate_b])
    assert pricing.platform_fee_cents(base, low) <= pricing.platform_fee_cents(base, high)
    assert pricing.platform_fee_cents(base, high) <= pricing.platform_fee_cents(base + 1, high)


@pytest.mark.parametrize(
    ("base", "currency", "rate", "message"),
    [
        (-1, "usd", Decimal("0.05"), "negative"),
        (100.0, "usd", Decimal("0.05"), "whole number"),
        ("100", "usd", Decimal("0.05"), "whole number"),
        (True, "usd", Decimal("0.05"), "whole number"),
        (None, "usd", Decimal("0.05"), "whole number"),
        (100, "usd", 0.05, "rate"),
        (100, "usd", "0.05", "rate"),
        (100, "usd", Decimal("-0.01"), "rate"),
        (100, "usd", Decimal("1.01"), "rate"),
        (100, "usd", Decimal("NaN"), "rate"),
        (100, "usd", Decimal("Infinity"), "rate"),
        (100, "", Decimal("0.05"), "currency"),
        (100, "dollars", Decimal("0.05"), "currency"),
        (100, "us1", Decimal("0.05"), "currency"),
        (100, None, Decimal("0.05"), "currency"),
    ],
)
def test_bad_quote_inputs_are_refused(base, currency, rate, message):
    with pytest.raises(ValueError, match=message):
        pricing.quote(base, currency, rate)
