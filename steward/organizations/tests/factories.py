"""Plain factories for organization tests; applications go through the service."""

from steward.accounts.models import User
from steward.accounts.services import create_user
from steward.organizations.models import Membership, Organization
from steward.organizations.services import apply_for_organization


def make_user(username: str, **extra) -> User:
    extra.setdefault("email", f"{username}@example.org")
    return create_user(username, password="a-long-test-password", **extra)


def application_data(**overrides) -> dict[str, str]:
    data = {
        "name": "Lingala Voices",
        "slug": "lingala-voices",
        "description": "Recordings of Lingala speakers in Kinshasa.",
        "country": "CD",
        "website": "https://lingala.example.org",
        "languages_served": "Lingala, French",
        "communities_served": "Lingala speakers in Kinshasa and Brazzaville",
        "contact_name": "Marie Lukusa",
        "contact_email": "marie@lingala.example.org",
        "motivation": "We want our recordings to train speech models on our terms.",
    }
    data.update(overrides)
    return data


def make_application(applicant: User, **overrides) -> Organization:
    return apply_for_organization(applicant, **application_data(**overrides))


def add_member(organization: Organization, user: User, role: str = "member") -> Membership:
    return Membership.objects.create(organization=organization, user=user, role=role)
