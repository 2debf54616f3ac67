"""A customer registers a passkey and then uses it as the second factor, in a real browser.

Chromium's virtual authenticator (DevTools WebAuthn domain) stands in for a fingerprint sensor.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.models import SecurityEvent
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _add_virtual_authenticator(page):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def _click_passkey(page, selector: str) -> None:
    """Tap a passkey button once its script and translation catalog have both loaded."""
    # Polled from here: the page's CSP forbids the eval that wait_for_function would need.
    for _ in range(100):
        if page.evaluate("typeof window.gettext") == "function":
            break
        page.wait_for_timeout(100)
    page.click(selector)


def _log_in_with_password(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")


def test_register_a_passkey_then_use_it_to_finish_logging_in(page, live_server, settings):
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    base = live_server.url
    user = UserFactory()
    _add_virtual_authenticator(page)

    _log_in_with_password(page, base, user.email)
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    page.goto(f"{base}/accounts/security/")
    _click_passkey(page, "#passkey-register-button")
    expect(page.locator("[data-testid=passkeys] li")).to_have_count(1, timeout=15_000)
    assert SecurityEvent.objects.filter(
        user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED, detail__method="passkey"
    ).exists()

    page.click("header form[action='/accounts/logout/'] button")
    _log_in_with_password(page, base, user.email)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    _click_passkey(page, "#passkey-verification-button")
    expect(page).to_have_url(re.compile(r"/dashboard/$"), timeout=15_000)

    # Without a password at all: the passkey alone logs in from the login page.
    page.click("header form[action='/accounts/logout/'] button")
    page.goto(f"{base}/accounts/login/")
    _click_passkey(page, "#passkey-verification-button")
    expect(page).to_have_url(re.compile(r"/dashboard/$"), timeout=15_000)


def test_a_passkey_approves_a_large_transfer_on_the_confirm_page(page, live_server, settings):
    from tests.wallet.factories import WalletFactory, balance, funded_wallet
    from wallet.models import StepUpChallenge

    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    base = live_server.url
    wallet = funded_wallet("5000.00")
    friend = WalletFactory(user__full_name="周小杰")
    _add_virtual_authenticator(page)
    _log_in_with_password(page, base, wallet.user.email)
    page.goto(f"{base}/accounts/security/")
    _click_passkey(page, "#passkey-register-button")
    expect(page.locator("[data-testid=passkeys] li")).to_have_count(1, timeout=15_000)

    page.goto(f"{base}/wallet/transfer/")
    page.fill("#id_to", friend.handle)
    page.fill("#id_amount", "1500")
    page.click("main form button[type=submit]")
    page.click("main form[data-step-up-form] button[type=submit]")
    # Above the step-up threshold: the page asks for a code or the passkey, and sent nothing.
    expect(page.locator("#passkey-verification-button")).to_be_visible()
    assert balance(wallet) == Decimal("5000.00")

    _click_passkey(page, "#passkey-verification-button")
    expect(page).to_have_url(re.compile(r"/wallet/transactions/\d+/$"), timeout=15_000)
    assert balance(wallet) == Decimal("3500.00")
    assert StepUpChallenge.objects.filter(user=wallet.user, used_by__isnull=False).count() == 1
