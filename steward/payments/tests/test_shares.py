"""Revenue sharing: owners name the recipients of their earnings and their shares; a recipient
left out is deactivated, never deleted, and keeps what it earned."""

import pytest

from steward.audit.models import AuditEvent
from steward.organizations.models import Organization
from steward.payments import ledger
from steward.payments.models import Recipient
from steward.payments.shares import ShareError, ShareForbidden, set_recipients
from steward.payments.tests.test_ledger import make_order

pytestmark = pytest.mark.django_db

FUND = {"name": "Community fund", "email": "fund@example.org", "share_percent": "12.5"}


def test_owners_set_the_recipients_and_their_shares(organization, owner):
    fund, singer = set_recipients(
        organization,
        actor=owner,
        recipients=[FUND, {"name": "  Singer ", "share_basis_points": 2000, "user": owner}],
    )
    assert (fund.name, fund.email, fund.share_basis_points) == (
        "Community fund",
        FUND["email"],
        1250,
    )
    assert (singer.name, singer.share_basis_points, singer.user) == ("Singer", 2000, owner)
    assert fund.active and singer.active and fund.organization == organization
    event = AuditEvent.objects.get(action="payments.recipients.changed")
    assert event.actor == owner and event.organization_id == organization.pk
    assert [r["basisPoints"] for r in event.data["recipients"]] == [1250, 2000]


def test_a_new_list_replaces_the_old_one_without_deleting_anyone(organization, owner):
    fund, singer = set_recipients(
        organization, actor=owner, recipients=[FUND, {"name": "Singer", "share_percent": 5}]
    )
    (kept, drummer) = set_recipients(
        organization,
        actor=owner,
        recipients=[
            # The same name (any case) is the same recipient, so its balance goes on.
            {"name": "community FUND", "share_percent": "20"},
            {"name": "Drummer", "share_percent": "1.25"},
        ],
    )
    assert kept.pk == fund.pk and kept.share_basis_points == 2000 and kept.name == "community FUND"
    assert drummer.share_basis_points == 125
    singer.refresh_from_db()
    assert not singer.active
    assert Recipient.objects.filter(organization=organization).count() == 3

    # By id, a recipient can be renamed, or brought back.
    renamed, back = set_recipients(
        organization,
        actor=owner,
        recipients=[
            {"id": fund.pk, "name": "Kinshasa fund", "share_percent": "10"},
            {"id": singer.pk, "name": "Singer", "share_percent": "5"},
        ],
    )
    assert (renamed.pk, back.pk) == (fund.pk, singer.pk) and back.active
    assert set_recipients(organization, actor=owner, recipients=[]) == []
    assert not Recipient.objects.filter(active=True).exists()
    assert Recipient.objects.count() == 3


def test_a_dropped_recipient_keeps_its_earnings_but_shares_no_new_sale(
    organization, owner, outsider
):
    (fund,) = set_recipients(organization, actor=owner, recipients=[FUND])
    ledger.post_purchase(make_order(organization, outsider, slug="before"))
    set_recipients(organization, actor=owner, recipients=[])
    ledger.post_purchase(make_order(organization, outsider, slug="after"))

    assert ledger.recipient_balance(fund, "usd") == 3125  # 12.5% of the first sale only
    assert ledger.organization_balance(organization, "usd") == 21875 + 25000
    assert ledger.verify() == []


@pytest.mark.parametrize("persona", ["admin", "member", "outsider", "staff", "anonymous"])
def test_only_owners_change_the_shares(organization, persona, request):
    actor = request.getfixturevalue(persona)
    with pytest.raises(ShareForbidden) as refused:
        set_recipients(organization, actor=actor, recipients=[FUND])
    assert refused.value.code == "owners_only" and refused.value.status == 403
    assert not Recipient.objects.exists()


def test_the_system_may_change_the_shares(organization):
    (fund,) = set_recipients(organization, actor=None, recipients=[FUND])
    assert AuditEvent.objects.get(action="payments.recipients.changed").actor_label == "system"
    assert fund.share_basis_points == 1250


@pytest.mark.parametrize(
    ("recipients", "code", "field"),
    [
        ([{"share_percent": "10"}], "required", "recipients[0].name"),
        ([FUND, {"name": " ", "share_percent": "10"}], "required", "recipients[1].name"),
        ([{"name": "x" * 201, "share_percent": "10"}], "invalid", "recipients[0].name"),
        ([{"name": "A"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "0"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "-5"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "100.01"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "12.345"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": 12.5}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "lots"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_percent": "NaN"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_basis_points": "100"}], "invalid_share", "recipients[0].share"),
        ([{"name": "A", "share_basis_points": True}], "invalid_share", "recipients[0].share"),
        (
            [{"name": "A", "share_percent": "60"}, {"name": "B", "share_percent": "40.01"}],
            "shares_over_100",
            "recipients",
        ),
        (
            [{"name": "A", "email": "not-an-address", "share_percent": "1"}],
            "invalid_email",
            "recipients[0].email",
        ),
        (
            [FUND, {"name": "community fund", "share_percent": "1"}],
            "duplicate_recipient",
            "recipients[1].name",
        ),
        (
            [{"id": 999999, "name": "A", "share_percent": "1"}],
            "unknown_recipient",
            "recipients[0].id",
        ),
        ("Community fund", "invalid", "recipients"),
    ],
)
def test_bad_lists_are_refused_and_change_nothing(organization, owner, recipients, code, field):
    (before,) = set_recipients(organization, actor=owner, recipients=[FUND])
    with pytest.raises(ShareError) as refused:
        set_recipients(organization, actor=owner, recipients=recipients)
    assert (refused.value.code, refused.value.field) == (code, field)
    assert refused.value.status == 400
    assert list(Recipient.objects.filter(active=True)) == [before]
    before.refresh_from_db()
    assert before.share_basis_points == 1250


def test_another_organizations_recipient_cannot_be_taken_over(organization, owner, outsider):
    other = Organization.objects.get(slug="other-org")
    (theirs,) = set_recipients(other, actor=outsider, recipients=[FUND])
    with pytest.raises(ShareError) as refused:
        set_recipients(
            organization,
            actor=owner,
            recipients=[{"id": theirs.pk, "name": "Mine now", "share_percent": "50"}],
        )
    assert refused.value.code == "unknown_recipient"
    theirs.refresh_from_db()
    assert theirs.organization == other and theirs.name == "Community fund"


def test_shares_of_exactly_100_percent_leave_the_organization_nothing(
    organization, owner, outsider
):
    set_recipients(
        organization,
        actor=owner,
        recipients=[
            {"name": "A", "share_percent": "33.34"},
            {"name": "B", "share_percent": "66.66"},
        ],
    )
    txn = ledger.post_purchase(make_order(organization, outsider))
    # 8335 + 16665 = 25000: no entry at all for the organization's part of 0.
    assert not txn.entries.filter(account__code__startswith="payable:org:").exists()
    assert ledger.organization_balance(organization, "usd") == 0
    assert ledger.verify() == []
