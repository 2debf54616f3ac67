"""In a real browser: sign up, confirm the email, switch languages, turn on TOTP, log in with it."""

import base64
import re

import pytest
from django.core import mail
from django_otp.oath import TOTP
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-browser-pass-42"


def _code_for(secret: str, steps_ahead: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = totp.time + 30 * steps_ahead
    return f"{totp.token():06d}"


def _html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def test_sign_up_switch_language_enrol_totp_and_log_in_with_it(page, live_server):
    base = live_server.url
    page.goto(f"{base}/accounts/signup/")
    assert _html_lang(page) == "zh-hans"
    page.fill("#id_email", "xiao.ming@example.com")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.check("#id_accept_terms")
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))

    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    page.goto(base + link.group(1))
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert "您好" in page.locator("h1").inner_text()

    page.click("[data-testid=language-en]")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert "Hello" in page.locator("h1").inner_text()
    page.click("[data-testid=language-zh-hans]")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert "您好" in page.locator("h1").inner_text()

    page.goto(f"{base}/accounts/security/authenticator/")
    secret = page.locator("[data-testid=totp-secret]").inner_text().strip()
    page.fill("#id_otp_token", _code_for(secret))
    page.click("main form button[type=submit]")
    assert page.locator("[data-testid=backup-codes] li").count() == 10

    page.click("header form[action='/accounts/logout/'] button")
    expect(page).to_have_url(f"{base}/")

    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", "xiao.ming@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))

    page.goto(f"{base}/dashboard/")  # the password alone opens nothing: back to the code
    expect(page).to_have_url(re.compile(r"/accounts/2fa/$"))
    page.fill("#id_otp_token", _code_for(secret, steps_ahead=1))
    page.click("main form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    assert "您好" in page.locator("h1").inner_text()
