"""Fixtures of the browser journeys: Debian's Chromium, the cached axe-core, and a `journey`
per test and interface language, whose screenshots go to test-artifacts/journeys/; and
localstripe's, for the journeys that pay by card."""

import pytest
from playwright.sync_api import sync_playwright

from steward.payments.tests.localstripe import (
    localstripe_server,
    stripe_settings,
    stripe_webhooks,
)

from . import axe
from .journey import Journey

__all__ = ["localstripe_server", "stripe_settings", "stripe_webhooks"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # Screenshots at one pixel per CSS pixel, whatever the machine's display.
    "--force-device-scale-factor=1",
]
ARTIFACTS = axe.ROOT / "test-artifacts" / "journeys"
# English, and one other language of the interface.
LANGUAGES = ["en", "fr"]


@pytest.fixture(scope="session")
def axe_script() -> str:
    if not axe.SCRIPT.exists():
        pytest.fail(
            f"axe-core {axe.VERSION} is not in {axe.SCRIPT.relative_to(axe.ROOT)}: run"
            " `make test`, or `python -m tests.browser.axe` once, to fetch it.",
            pytrace=False,
        )
    return axe.SCRIPT.read_text()


@pytest.fixture(scope="package")
def chromium():
    # Playwright's sync API keeps an event loop in this thread; the test's own ORM calls
    # are still synchronous, so Django's guard against async contexts does not apply.
    # Both end with this package's tests, so the guard is back for the tests after them.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=LANGUAGES)
def lang(request) -> str:
    return request.param


@pytest.fixture
def journey(request, chromium, live_server, axe_script, lang, settings):
    """The test module's journey (test_journey_<name>.py) in `lang`; earlier screenshots of
    it in that language are removed first."""
    # The site's own address, as in production: the snippets and emails name it.
    settings.STEWARD_BASE_URL = live_server.url
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_journey_")
    folder = ARTIFACTS / name.replace("_", "-")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{lang}-*.png"):
        old.unlink()
    journey = Journey(chromium, live_server.url, axe_script, folder, lang)
    yield journey
    journey.close()
