"""Applying as an organization: organizations/apply."""

import pytest
from django.core import mail
from django.db import IntegrityError
from django.urls import reverse

from steward.audit.models import AuditEvent
from steward.organizations.models import Membership, Organization
from steward.organizations.services import OrganizationError, create_organization, suggest_slug
from steward.organizations.tests.factories import application_data, make_user

pytestmark = pytest.mark.django_db

APPLY_URL = reverse("organizations:apply")


@pytest.fixture
def applicant(db):
    return make_user("marie", full_name="Marie Lukusa")


def test_applying_creates_a_pending_organization_owned_by_the_applicant_and_emails_staff(
    client, applicant, staff, django_capture_on_commit_callbacks
):
    make_user("not-staff")
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, application_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("organizations:mine")
    org = Organization.objects.get(slug="lingala-voices")
    assert org.status == Organization.Status.PENDING
    assert org.applied_by == applicant
    assert org.country == "CD"
    assert org.motivation.startswith("We want our recordings")
    assert Membership.objects.get(organization=org).user == applicant
    assert Membership.objects.get(organization=org).role == Membership.Role.OWNER
    event = AuditEvent.objects.get(action="organizations.organization.applied")
    assert (event.actor, event.organization_id, event.data["slug"]) == (
        applicant,
        org.pk,
        "lingala-voices",
    )
    # Only the reviewers hear about it.
    assert [message.to for message in mail.outbox] == [[staff.email]]
    assert mail.outbox[0].subject == "[Steward] New organization application: Lingala Voices"
    assert "/staff/organizations/lingala-voices" in mail.outbox[0].body


def test_the_page_is_prefilled_with_the_applicants_contact(client, applicant):
    client.force_login(applicant)
    response = client.get(APPLY_URL)
    assert response.status_code == 200
    assert response.context["form"].initial["contact_email"] == "marie@example.org"
    assert response.context["form"].initial["contact_name"] == "Marie Lukusa"
    assert 'value="CD"' in response.content.decode()


def test_an_empty_slug_takes_the_suggestion_from_the_name(client, applicant):
    client.force_login(applicant)
    response = client.post(APPLY_URL, application_data(name="Èdè Yorùbá Archive", slug=""))
    assert response.status_code == 302
    assert Organization.objects.filter(slug="ede-yoruba-archive").exists()


def test_the_suggestion_avoids_taken_and_reserved_slugs(organization):
    assert suggest_slug("Radio Kinshasa") == "radio-kinshasa-2"
    assert suggest_slug("Apply") == "apply-2"
    assert suggest_slug("ልሳን") == ""


def test_a_name_without_latin_letters_needs_a_slug(client, applicant):
    client.force_login(applicant)
    response = client.post(APPLY_URL, application_data(name="ልሳን ማህበር", slug=""))
    assert response.status_code == 400
    assert response.context["form"].errors["slug"]
    assert not Organization.objects.exists()


def test_typing_a_name_returns_the_slug_field_with_a_suggestion(client, applicant):
    client.force_login(applicant)
    response = client.get(APPLY_URL, {"name": "Lingala Voices", "slug": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="slug-field"' in html and 'placeholder="lingala-voices"' in html
    assert "<html" not in html  # only the fragment


@pytest.mark.parametrize("slug", ["apply", "new", "mine", "invitations"])
def test_reserved_slugs_cannot_be_taken(client, applicant, slug):
    client.force_login(applicant)
    response = client.post(APPLY_URL, application_data(slug=slug))
    assert response.status_code == 400
    assert "reserved" in str(response.context["form"].errors["slug"])
    with pytest.raises(OrganizationError) as excinfo:
        create_organization(slug, name="Anything")
    assert excinfo.value.code == "reserved_slug"
    assert not Organization.objects.exists()


def test_the_database_refuses_a_reserved_slug_too(db):
    with pytest.raises(IntegrityError):
        Organization.objects.create(slug="apply", name="Sneaky")


def test_a_taken_slug_is_a_form_error(client, applicant, organization):
    client.force_login(applicant)
    response = client.post(APPLY_URL, application_data(slug=organization.slug))
    assert response.status_code == 400
    assert "taken" in str(response.context["form"].errors["slug"])
    assert Organization.objects.count() == 1
    assert not AuditEvent.objects.filter(action="organizations.organization.applied").exists()


@pytest.mark.parametrize(
    "field",
    ["name", "description", "country", "languages_served", "communities_served", "contact_email"],
)
def test_missing_answers_are_form_errors_and_nothing_is_sent(
    client, applicant, staff, field, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY_URL, application_data(**{field: ""}))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Organization.objects.exists()
    assert mail.outbox == []


def test_an_unknown_country_is_refused(client, applicant):
    client.force_login(applicant)
    response = client.post(APPLY_URL, application_data(country="XX"))
    assert response.status_code == 400
    assert "country" in response.context["form"].errors


def test_my_organizations_shows_a_pending_application_as_waiting(client, applicant):
    client.force_login(applicant)
    client.post(APPLY_URL, application_data())
    response = client.get(reverse("organizations:mine"))
    html = response.content.decode()
    assert "Lingala Voices" in html and "Waiting for review" in html
