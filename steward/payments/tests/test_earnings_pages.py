"""The earnings pages: the organization's earnings and statement CSV, revenue sharing, a
recipient's statement, staff payouts, and the public dataset page's sentence on the price."""

import csv
import io

import pytest

from steward.payments import ledger, services, shares
from steward.payments.models import Payout, Recipient

from .sales import buyer, priced_dataset, sell

pytestmark = pytest.mark.django_db

EARNINGS = "/organizations/radio-kinshasa/earnings"
RECIPIENTS = "/organizations/radio-kinshasa/recipients"


@pytest.fixture
def fund(organization, owner):
    keeper = buyer("fund-keeper")
    [fund] = shares.set_recipients(
        organization,
        actor=owner,
        recipients=[{"name": "Community Fund", "share_percent": "20", "user": keeper}],
    )
    return fund


@pytest.fixture
def sold(organization, owner, outsider, staff, fund):
    """Two sales of 250.00 (80% to the organization, 20% to the fund) and one of 99.99."""
    first = priced_dataset(organization, slug="lingala")
    second = priced_dataset(organization, slug="swahili", cents=9999)
    sell(first, outsider, staff=staff)
    sell(first, buyer("second-buyer"), staff=staff)
    sell(second, buyer("third-buyer"), staff=staff)
    return first


def _text(response) -> str:
    return response.content.decode()


def test_members_see_the_balance_history_chart_and_recipients(client, member, sold, fund):
    client.force_login(member)
    page = client.get(EARNINGS)
    assert page.status_code == 200
    text = _text(page)
    # 2 x 200.00 + 80.00: the fund's 20% of 99.99 is rounded down to 19.99, and the
    # left-over cent stays with the organization.
    assert ledger.organization_balance(sold.organization, "usd") == 48000
    assert "USD 480.00" in text
    assert "USD 119.99" in text  # the fund: 2 x 50.00 + 19.99
    assert "Community Fund" in text and "20%" in text
    assert "Dataset lingala" in text and "Dataset swahili" in text
    assert '<svg viewBox="0 0 640 240" role="img"' in text
    assert "Show the figures as a table" in text
    assert "Sale of Dataset lingala" in text
    # Members see; only owners get the payout form.
    assert "Request a payout" not in text
    assert "outsider@example.org" not in text


def test_anonymous_are_sent_to_log_in_and_outsiders_see_nothing(client, outsider, staff, sold):
    for url in [EARNINGS, f"{EARNINGS}.csv", RECIPIENTS]:
        answer = client.get(url)
        assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
    client.force_login(outsider)  # another organization's owner
    for url in [EARNINGS, f"{EARNINGS}.csv", RECIPIENTS]:
        assert client.get(url).status_code == 404
    assert client.post(EARNINGS, {"amount": "10"}).status_code == 404
    client.force_login(staff)
    assert client.get(EARNINGS).status_code == 404
    assert not Payout.objects.exists()


def test_owners_request_a_payout_on_the_page(client, owner, member, sold):
    client.force_login(member)
    assert client.post(EARNINGS, {"amount": "10.00"}).status_code == 403
    assert not Payout.objects.exists()

    client.force_login(owner)
    assert "Request a payout" in _text(client.get(EARNINGS))
    over = client.post(EARNINGS, {"amount": "480.01", "currency": "usd"})
    assert over.status_code == 409
    assert "exceeds the available balance of 480.00 USD" in _text(over)
    assert not Payout.objects.exists()
    bad = client.post(EARNINGS, {"amount": "1.234"})
    assert bad.status_code == 400 and "at most two decimals" in _text(bad)

    done = client.post(EARNINGS, {"amount": "400.50", "currency": "usd"})
    assert done.status_code == 302
    payout = Payout.objects.get()
    assert payout.amount_cents == 40050 and payout.recipient is None
    page = _text(client.get(EARNINGS))
    assert payout.public_id in page and "USD 79.50" in page  # available now


def test_the_statement_csv_has_every_line_and_no_buyer(client, member, owner, staff, sold):
    payout = services.request_payout(sold.organization, actor=owner, amount_cents=10000)
    services.mark_payout_paid(payout, actor=staff, reference="WIRE-1")
    client.force_login(member)
    response = client.get(f"{EARNINGS}.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == [
        "date",
        "transaction",
        "kind",
        "memo",
        "order",
        "dataset",
        "payout",
        "amount",
        "balance",
        "currency",
    ]
    assert [(r[2], r[5], r[7], r[8]) for r in rows[1:]] == [
        ("purchase", "Dataset lingala", "200.00", "200.00"),
        ("purchase", "Dataset lingala", "200.00", "400.00"),
        ("purchase", "Dataset swahili", "80.00", "480.00"),
        ("payout", "", "-100.00", "380.00"),
    ]
    assert rows[-1][6] == payout.public_id
    assert "@" not in body and "buyer" not in body


def test_members_see_the_shares_and_owners_change_them(client, member, owner, fund):
    client.force_login(member)
    page = client.get(RECIPIENTS)
    assert page.status_code == 200 and "Community Fund" in _text(page)
    assert "Save the shares" not in _text(page)
    assert client.post(RECIPIENTS, _rows([("X", "", "", "10")])).status_code == 403

    client.force_login(owner)
    assert "Save the shares" in _text(client.get(RECIPIENTS))
    saved = client.post(
        RECIPIENTS,
        _rows([("Community Fund", "fund@example.org", "fund-keeper", "12.5", fund.pk),
               ("Jane Contributor", "", "", "5")]),
    )  # fmt: skip
    assert saved.status_code == 302
    fund.refresh_from_db()
    assert fund.share_basis_points == 1250 and fund.email == "fund@example.org"
    assert fund.user.username == "fund-keeper"
    jane = Recipient.objects.get(name="Jane Contributor")
    assert jane.share_basis_points == 500 and jane.active
    assert "82.5%" in _text(client.get(RECIPIENTS))


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("A", "", "", "60"), ("B", "", "", "41")], "add up to 101"),
        ([("A", "", "", "12.345")], "at most two decimals"),
        ([("", "", "", "10")], "needs a name"),
        ([("A", "not-an-email", "", "10")], "valid email"),
        ([("A", "", "nobody-here", "10")], "No Steward user"),
    ],
)
def test_bad_shares_are_shown_and_change_nothing(client, owner, fund, rows, message):
    client.force_login(owner)
    answer = client.post(RECIPIENTS, _rows(rows))
    assert answer.status_code == 400 and message in _text(answer)
    fund.refresh_from_db()
    assert fund.active and fund.share_basis_points == 2000
    assert Recipient.objects.count() == 1


def _rows(rows) -> dict[str, str]:
    data = {"r-TOTAL_FORMS": "8", "r-INITIAL_FORMS": "8", "r-MIN_NUM_FORMS": "0"}
    data["r-MAX_NUM_FORMS"] = "8"
    for index in range(8):
        name, email, username, share, *pk = rows[index] if index < len(rows) else ("", "", "", "")
        data.update(
            {
                f"r-{index}-id": str(pk[0]) if pk else "",
                f"r-{index}-name": name,
                f"r-{index}-email": email,
                f"r-{index}-username": username,
                f"r-{index}-share": share,
            }
        )
    return data


def test_a_recipient_reads_its_own_statement_and_requests_a_payout(
    client, sold, fund, member, owner, outsider, staff
):
    url = f"/earnings/recipients/{fund.pk}"
    assert client.get(url).status_code == 302
    for stranger in [outsider, staff, buyer("someone-else")]:
        client.force_login(stranger)
        assert client.get(url).status_code == 404
        assert client.post(url, {"amount": "1"}).status_code == 404

    client.force_login(member)
    page = client.get(url)
    assert page.status_code == 200 and "USD 119.99" in _text(page)
    assert client.post(url, {"amount": "1"}).status_code == 403

    client.force_login(fund.user)
    text = _text(client.get(url))
    assert "USD 119.99" in text and "Sale of Dataset swahili" in text and "20%" in text
    assert client.post(url, {"amount": "120"}).status_code == 409
    assert client.post(url, {"amount": "119.99"}).status_code == 302
    payout = Payout.objects.get()
    assert payout.recipient == fund and payout.amount_cents == 11999
    csv_body = b"".join(client.get(f"{url}?format=csv").streaming_content).decode()
    assert csv_body.splitlines()[-1].split(",")[7:9] == ["19.99", "119.99"]


def test_staff_mark_payouts_paid_on_their_page(client, owner, member, staff, sold):
    payout = services.request_payout(sold.organization, actor=owner, amount_cents=5000)
    for persona in [owner, member]:
        client.force_login(persona)
        assert client.get("/staff/payouts").status_code == 404
        mark = client.post(f"/staff/payouts/{payout.public_id}/mark-paid", {"reference": "W"})
        assert mark.status_code == 404
    payout.refresh_from_db()
    assert payout.status == "requested"

    client.force_login(staff)
    listing = client.get("/staff/payouts")
    text = _text(listing)
    assert payout.public_id in text and "USD 50.00" in text
    assert 'href="/staff/payouts" aria-current="page"' in text
    empty = client.post(f"/staff/payouts/{payout.public_id}/mark-paid", {"reference": ""})
    assert empty.status_code == 302
    payout.refresh_from_db()
    assert payout.status == "requested"
    client.post(f"/staff/payouts/{payout.public_id}/mark-paid", {"reference": "WIRE-9"})
    payout.refresh_from_db()
    assert payout.status == "paid" and payout.reference == "WIRE-9"
    assert ledger.organization_balance(sold.organization, "usd") == 43000
    assert ledger.verify() == []


def test_owners_cancel_a_requested_payout(client, owner, member, sold):
    payout = services.request_payout(sold.organization, actor=owner, amount_cents=5000)
    client.force_login(member)
    client.post(f"/payouts/{payout.public_id}/cancel")
    payout.refresh_from_db()
    assert payout.status == "requested"
    client.force_login(owner)
    answer = client.post(f"/payouts/{payout.public_id}/cancel", {"next": "https://evil.example/"})
    assert answer["Location"] == EARNINGS
    payout.refresh_from_db()
    assert payout.status == "cancelled"


def test_the_dataset_page_says_how_much_goes_to_the_community(client, organization, owner, fund):
    dataset = priced_dataset(organization)
    text = _text(client.get(f"/datasets/{dataset.public_id}"))
    assert (
        "All of the price (USD 250.00) goes to Radio Kinshasa Community; it shares 20% of it "
        "with Community Fund." in " ".join(text.split())
    )
    shares.set_recipients(organization, actor=owner, recipients=[])
    text = _text(client.get(f"/datasets/{dataset.public_id}"))
    assert "All of the price (USD 250.00) goes to Radio Kinshasa Community." in text


def test_a_refund_on_the_staff_page_is_confirmed_in_so_many_words(client, staff, sold):
    """A refund cannot be undone: without the ticked box nothing happens."""
    from steward.payments.models import Order

    order = Order.objects.filter(status="paid").first()
    client.force_login(staff)
    url = f"/staff/orders/{order.public_id}/refund"
    unconfirmed = client.post(url, {"reason": "Sold twice."}, follow=True)
    assert "Tick the box to confirm the refund: it cannot be undone." in _text(unconfirmed)
    order.refresh_from_db()
    assert order.status == "paid"
    client.post(url, {"reason": "Sold twice.", "confirm": "on"})
    order.refresh_from_db()
    assert order.status == "refunded" and order.refund_reason == "Sold twice."
    assert ledger.verify() == []
