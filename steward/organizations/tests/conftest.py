import pytest


@pytest.fixture
def staff(staff):
    """The reviewer persona with an authenticator app, which staff need to use the site."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    if not Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(staff, generate_totp_secret())
    return staff
