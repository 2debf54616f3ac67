"""Shared fixtures, and the rule for tests that need real services.

Tests marked `postgres`, `redis`, `browser`, `gettext` or `network` run when the service is
there and are skipped otherwise, except when WALLET_REQUIRE_SERVICES=1 (set by .ci/run): then a
missing service fails the test, so CI can never pass by skipping them.
"""

import functools
import os
import shutil
import urllib.error
import urllib.request

import pytest
from django.core.cache import cache

from config.celery import app as celery_app
from tests.accounts.factories import StaffFactory, TOTPDeviceFactory, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REQUIRE_SERVICES = os.environ.get("WALLET_REQUIRE_SERVICES") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# System gettext programs that `manage.py makemessages` runs.
GETTEXT_PROGRAMS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
# `network` tests read PyPI: its front page, and the per-release JSON API that pip-audit reads
# vulnerabilities from (probed with a release that exists for good).
PYPI_PROBES = ("https://pypi.org/", "https://pypi.org/pypi/pip/24.0/json")
NETWORK_TIMEOUT_SECONDS = 5


@functools.cache
def _pypi_unreachable() -> str | None:
    for url in PYPI_PROBES:
        request = urllib.request.Request(url, method="HEAD")  # noqa: S310 - fixed https URLs
        try:
            with urllib.request.urlopen(request, timeout=NETWORK_TIMEOUT_SECONDS):  # noqa: S310
                pass
        except urllib.error.HTTPError as exc:
            return f"PyPI answered HTTP {exc.code} for {url}"
        except OSError as exc:  # no route, no DNS, timeout, TLS failure
            return f"PyPI is not reachable ({url}: {exc})"
    return None


def _missing_service(marker_name: str) -> str | None:
    if marker_name == "postgres":
        if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
            return "DATABASE_URL does not point at PostgreSQL"
    elif marker_name == "redis":
        if not os.environ.get("REDIS_URL"):
            return "REDIS_URL is not set"
    elif marker_name == "browser":
        if not shutil.which(CHROMIUM):
            return f"{CHROMIUM} is not installed"
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "playwright is not installed"
    elif marker_name == "gettext":
        missing = [name for name in GETTEXT_PROGRAMS if not shutil.which(name)]
        if missing:
            return f"system gettext is not installed (no {', '.join(missing)})"
    elif marker_name == "network":
        return _pypi_unreachable()
    return None


def pytest_runtest_setup(item):
    for name in ("postgres", "redis", "browser", "gettext", "network"):
        if item.get_closest_marker(name) is None:
            continue
        reason = _missing_service(name)
        if reason is None:
            continue
        if REQUIRE_SERVICES:
            pytest.fail(f"{name} test cannot run: {reason} (WALLET_REQUIRE_SERVICES=1)")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _test_settings(request, settings, tmp_path_factory):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Identity document photos written by tests never land in the project's var/.
    settings.PRIVATE_MEDIA_ROOT = tmp_path_factory.getbasetemp() / "private-media"
    if request.node.get_closest_marker("redis") is None:
        # Parallel workers must not share throttle counters in one Redis.
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
        cache.clear()
        # Tasks run in-process, as in the demo; only `redis` tests use the real broker.
        celery_app.conf.task_always_eager = True


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium through Playwright, shared by tests/e2e and tests/guardrails."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests make
    # (reading the outbox, factories) are still synchronous, so Django must not refuse them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def totp_device(db):
    return TOTPDeviceFactory()


@pytest.fixture
def staff_user(db):
    return StaffFactory()


@pytest.fixture
def no_otp_throttle(settings):
    """django-otp makes a device wait after a wrong code; tests that retry at once turn it off."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


@pytest.fixture
def english(settings):
    """English as the default language (pages without a language choice, services' messages):
    for tests that read a message's wording; Chinese is checked by the translation guardrail."""
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        yield
