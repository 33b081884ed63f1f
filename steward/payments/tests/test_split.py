"""Revenue shares: the base price divided among recipients by basis points, the organization
keeping every remainder cent, so no cent is ever lost or created."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from steward.payments.pricing import WHOLE, split

amounts = st.integers(min_value=0, max_value=10**12)


@st.composite
def share_lists(draw, max_total: int = WHOLE):
    """Up to 20 recipients whose shares together stay within `max_total` basis points."""
    shares, left = [], max_total
    for key in range(draw(st.integers(min_value=0, max_value=20))):
        if left == 0:
            break
        points = draw(st.integers(min_value=1, max_value=left))
        shares.append((f"recipient-{key}", points))
        left -= points
    return shares


@given(amounts, share_lists())
def test_the_parts_add_up_to_the_amount(amount, shares):
    parts = split(amount, shares)
    assert sum(parts.values()) == amount
    assert set(parts) == {key for key, _ in shares} | {None}
    assert all(isinstance(part, int) for part in parts.values())


@given(amounts, share_lists())
def test_no_part_is_negative_and_recipients_get_the_floor(amount, shares):
    parts = split(amount, shares)
    assert all(part >= 0 for part in parts.values())
    for key, points in shares:
        # The remainder-cent rule: a recipient gets the floor of its exact share...
        assert parts[key] == amount * points // WHOLE
    # ...so the organization gets at least its exact share, and less than one cent more per
    # recipient.
    kept = WHOLE - sum(points for _, points in shares)
    extra = parts[None] * WHOLE - amount * kept  # in 1/10000 of a cent
    assert extra == 0 or 0 < extra < len(shares) * WHOLE


@given(amounts, share_lists())
def test_a_bigger_share_never_gets_less(amount, shares):
    parts = split(amount, shares)
    for key_a, points_a in shares:
        for key_b, points_b in shares:
            if points_a > points_b:
                assert parts[key_a] >= parts[key_b]


@given(amounts, st.integers(min_value=0, max_value=WHOLE))
def test_the_organization_keeps_at_least_what_a_recipient_of_its_share_would(amount, points):
    parts = split(amount, [("recipient", points)] if points else [])
    assert parts[None] >= amount * (WHOLE - points) // WHOLE


@given(amounts, share_lists(max_total=3 * WHOLE).filter(lambda s: sum(p for _, p in s) > WHOLE))
def test_shares_over_100_percent_are_refused(amount, shares):
    with pytest.raises(ValueError, match="more than 100%"):
        split(amount, shares)


def test_the_remainder_cents_stay_with_the_organization():
    # Three recipients of 33.33% of 100 cents get 33 each; the organization keeps 1 cent
    # of its 0.01% and the 0.99 cents the floors left over.
    parts = split(100, [("a", 3333), ("b", 3333), ("c", 3333)])
    assert parts == {"a": 33, "b": 33, "c": 33, None: 1}
    assert split(1, [("a", 5000), ("b", 5000)]) == {"a": 0, "b": 0, None: 1}
    assert split(25000, []) == {None: 25000}
    assert split(25000, [("fund", 10000)]) == {"fund": 25000, None: 0}


def test_a_custom_key_holds_the_rest():
    assert split(999, [(1, 1000)], rest="organization") == {1: 99, "organization": 900}


@pytest.mark.parametrize(
    ("amount", "shares", "message"),
    [
        (-1, [], "negative"),
        (10.0, [], "whole number"),
        (True, [], "whole number"),
        (100, [("a", 0)], "positive"),
        (100, [("a", -5)], "positive"),
        (100, [("a", 12.5)], "positive"),
        (100, [("a", 10001)], "more than 100%"),
        (100, [("a", 6000), ("b", 4001)], "more than 100%"),
        (100, [("a", 10), ("a", 20)], "twice"),
        (100, [(None, 10)], "rest"),
    ],
)
def test_bad_splits_are_refused(amount, shares, message):
    with pytest.raises(ValueError, match=message):
        split(amount, shares)
