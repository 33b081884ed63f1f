import pytest
from django.core.cache import cache
from django.urls import reverse

# The personas' password, set in the root conftest.py.
PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """allauth keeps its log-in rate limits and used TOTP codes in the cache."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def log_in(client):
    """Log in through allauth's form, as a browser does."""

    def log_in(login: str, password: str = PASSWORD, **extra):
        return client.post(
            reverse("account_login"), {"login": login, "password": password}, **extra
        )

    return log_in
