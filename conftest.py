"""Shared fixtures: the personas every permission test uses, and isolated file storage."""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STEWARD_FILES_DIR = tmp_path / "files"
    # Password hashing is slow by design; tests do not need its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _user(username: str, **extra):
    from steward.accounts.services import create_user

    return create_user(
        username, email=f"{username}@example.org", password="a-long-test-password", **extra
    )


@pytest.fixture
def organization(db):
    from steward.organizations.services import create_organization

    return create_organization(
        "radio-kinshasa", name="Radio Kinshasa Community", approved=True, country="CD"
    )


@pytest.fixture
def owner(organization):
    from steward.organizations.models import Membership

    user = _user("owner")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def admin(organization):
    from steward.organizations.models import Membership

    user = _user("orgadmin")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def member(organization):
    from steward.organizations.models import Membership

    user = _user("member")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def outsider(db):
    """A signed-up user of another organization."""
    from steward.organizations.services import create_organization

    user = _user("outsider")
    create_organization("other-org", name="Another Organization", owner=user, approved=True)
    return user


@pytest.fixture
def staff(db):
    """A reviewer, with the authenticator app that staff need to use the site."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = _user("reviewer", is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
