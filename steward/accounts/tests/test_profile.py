"""The profile page shows and edits full name, country and organization type."""

import pytest
from django.urls import reverse

from steward.accounts.services import AccountError, update_profile
from steward.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PROFILE = {"full_name": "Marie Kabila", "country": "CD", "organization_type": "non-profit"}


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")


def test_the_profile_links_to_email_password_two_factor_and_api_keys(client, member):
    client.force_login(member)
    response = client.get(reverse("accounts:profile"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "member@example.org" in html
    for name in ["account_email", "account_change_password", "mfa_index", "accounts:apikey-list"]:
        assert f'href="{reverse(name)}"' in html


def test_editing_the_profile_saves_and_audits(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:profile"), PROFILE)

    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.full_name, member.country, member.organization_type) == (
        "Marie Kabila",
        "CD",
        "non-profit",
    )
    event = AuditEvent.objects.get(action="accounts.user.updated")
    assert event.actor == member and event.data == PROFILE
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "Your profile was saved." in page
    assert '<option value="CD" selected>' in page


def test_saving_an_unchanged_profile_records_nothing(client, member):
    client.force_login(member)
    client.post(reverse("accounts:profile"), PROFILE)
    client.post(reverse("accounts:profile"), PROFILE)
    assert AuditEvent.objects.filter(action="accounts.user.updated").count() == 1


def test_an_unknown_country_is_a_form_error_next_to_the_field(client, member):
    client.force_login(member)
    response = client.post(reverse("accounts:profile"), {**PROFILE, "country": "XX"})

    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_country_error"' in html and 'aria-invalid="true"' in html
    member.refresh_from_db()
    assert member.country == "" and member.full_name == ""
    assert not AuditEvent.objects.filter(action="accounts.user.updated").exists()


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"country": "XX"}, "invalid_country", "country"),
        ({"country": "cd"}, "invalid_country", "country"),
        ({"organization_type": "pirate"}, "invalid", "organization_type"),
    ],
)
def test_the_service_refuses_what_the_form_would(member, changes, code, field):
    with pytest.raises(AccountError) as exc:
        update_profile(member, actor=member, **{**PROFILE, **changes})
    assert (exc.value.code, exc.value.field) == (code, field)
    member.refresh_from_db()
    assert member.full_name == ""
