"""Pricing arithmetic: the creator's price is untouched, the fee goes on top."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest

from steward.payments import pricing


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
    assert modules <= {"dataclasses", "decimal", "__future__"}
