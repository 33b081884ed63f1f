"""Withdrawing a version on the page, the holders' confirmations, and who may do either."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from steward.access import services
from steward.access.models import DeletionRequest, DownloadEvent
from steward.accounts.services import create_user
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE

pytestmark = pytest.mark.django_db


@pytest.fixture
def dataset(organization):
    return make_dataset(organization, slug="consented-speech", archive=ARCHIVE)


@pytest.fixture
def holder(dataset):
    """Someone outside the organization who downloaded the current version."""
    user = create_user("holder", email="holder@example.org", password="a-long-test-password")
    download(user, dataset)
    return user


def download(user, dataset: Dataset) -> None:
    services.start_download(
        user, dataset, channel=DownloadEvent.Channel.WEB, base_url="http://testserver/"
    )


def withdraw_url(dataset: Dataset, number: int = 1) -> str:
    return reverse(
        "access:withdraw-version", args=[dataset.organization.slug, dataset.public_id, number]
    )


def withdrawals_url(dataset: Dataset) -> str:
    return reverse("access:withdrawals", args=[dataset.organization.slug, dataset.public_id])


def confirm_url(notice: DeletionRequest) -> str:
    return reverse("access:confirm-deletion", args=[notice.token])


def test_the_page_says_how_many_will_be_asked(client, dataset, holder, member, owner):
    download(member, dataset)  # members are not asked: their copy stays inside
    download(holder, dataset)  # a second download is the same person
    client.force_login(owner)

    response = client.get(withdraw_url(dataset))

    html = response.content.decode()
    assert response.status_code == 200
    assert "1 person outside the organization downloaded it" in html
    assert 'value="30"' in html  # the default deadline


def test_withdrawing_asks_each_holder_to_delete_their_copy(
    client, dataset, holder, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            withdraw_url(dataset),
            {"reason": "Two speakers withdrew consent.", "deadline_days": 14, "confirm": "on"},
        )

    assert response.status_code == 302 and response.url == withdrawals_url(dataset)
    version = dataset.versions.get(number=1)
    assert version.is_withdrawn and version.withdrawal_reason == "Two speakers withdrew consent."
    notice = DeletionRequest.objects.get()
    assert notice.user == holder
    assert timedelta(days=13) < notice.deadline - timezone.now() <= timedelta(days=14)
    assert [m.to for m in mail.outbox] == [[holder.email]]
    assert confirm_url(notice) in mail.outbox[0].body
    html = client.get(withdrawals_url(dataset)).content.decode()
    assert "holder" in html and "Waiting" in html and "0 of 1 holder confirmed" in html


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "", "deadline_days": 30, "confirm": "on"}, "reason"),
        ({"reason": "Consent withdrawn.", "deadline_days": 30}, "confirm"),
        ({"reason": "Consent withdrawn.", "deadline_days": 0, "confirm": "on"}, "deadline_days"),
        ({"reason": "Consent withdrawn.", "deadline_days": 400, "confirm": "on"}, "deadline_days"),
    ],
)
def test_bad_input_withdraws_nothing(client, dataset, holder, owner, data, field):
    client.force_login(owner)

    response = client.post(withdraw_url(dataset), data)

    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not dataset.versions.get(number=1).is_withdrawn
    assert not DeletionRequest.objects.exists() and not mail.outbox


@pytest.mark.parametrize(
    ("persona", "status"),
    [("owner", 200), ("admin", 200), ("member", 403), ("outsider", 404), ("staff", 404)],
)
def test_only_those_who_manage_terms_withdraw(request, client, dataset, persona, status):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(withdraw_url(dataset)).status_code == status
    assert client.get(withdrawals_url(dataset)).status_code == status
    if status != 200:
        client.post(withdraw_url(dataset), {"reason": "No.", "deadline_days": 30, "confirm": "on"})
        assert not dataset.versions.get(number=1).is_withdrawn


def test_anonymous_visitors_are_sent_to_log_in(client, dataset):
    for url in (withdraw_url(dataset), withdrawals_url(dataset)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_another_organizations_dataset_is_not_found(client, dataset, outsider):
    """The outsider owns other-org; its slug does not open this organization's dataset."""
    client.force_login(outsider)

    url = reverse("access:withdraw-version", args=["other-org", dataset.public_id, 1])

    assert client.get(url).status_code == 404
    assert (
        client.post(url, {"reason": "Mine now.", "deadline_days": 30, "confirm": "on"}).status_code
        == 404
    )
    assert not dataset.versions.get(number=1).is_withdrawn


def test_an_unknown_version_is_not_found(client, dataset, owner):
    client.force_login(owner)

    assert client.get(withdraw_url(dataset, 7)).status_code == 404


@pytest.fixture
def notice(dataset, holder, owner) -> DeletionRequest:
    services.withdraw_version(dataset.versions.get(number=1), actor=owner, reason="Consent.")
    return DeletionRequest.objects.get(user=holder)


def test_the_holder_confirms_the_deletion(client, notice, holder, owner, dataset):
    client.force_login(holder)
    assert confirm_url(notice) in client.get(reverse("access:my-access")).content.decode()

    page = client.get(confirm_url(notice))
    assert page.status_code == 200
    assert "Consent." in page.content.decode() and "Lingala Radio Speech" in page.content.decode()

    response = client.post(confirm_url(notice))

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.confirmed_at is not None
    assert "You confirmed on" in client.get(confirm_url(notice)).content.decode()
    assert confirm_url(notice) not in client.get(reverse("access:my-access")).content.decode()
    client.force_login(owner)
    html = client.get(withdrawals_url(dataset)).content.decode()
    assert "Confirmed" in html and "1 of 1 holder confirmed" in html


@pytest.mark.parametrize("persona", ["owner", "member", "outsider"])
def test_only_the_holder_may_open_the_link(request, client, notice, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(confirm_url(notice)).status_code == 404
    assert client.post(confirm_url(notice)).status_code == 404
    notice.refresh_from_db()
    assert notice.confirmed_at is None


def test_the_link_asks_anonymous_visitors_to_log_in(client, notice):
    response = client.get(confirm_url(notice))

    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))


def test_a_holder_past_the_deadline_shows_as_unconfirmed(client, notice, owner, dataset):
    DeletionRequest.objects.filter(pk=notice.pk).update(deadline=timezone.now() - timedelta(days=1))
    client.force_login(owner)

    html = client.get(withdrawals_url(dataset)).content.decode()

    assert "Not confirmed" in html and "0 of 1 holder confirmed" in html


def test_a_withdrawn_version_is_not_withdrawn_twice(client, notice, owner, dataset):
    client.force_login(owner)

    response = client.get(withdraw_url(dataset))

    html = response.content.decode()
    assert "This version was withdrawn on" in html and 'name="reason"' not in html
    client.post(withdraw_url(dataset), {"reason": "Again.", "deadline_days": 30, "confirm": "on"})
    assert dataset.versions.get(number=1).withdrawal_reason == "Consent."
