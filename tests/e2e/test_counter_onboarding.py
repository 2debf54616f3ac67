"""In a real browser: a teller onboards a client at the counter (phone code by SMS, identity
with a document photo, consent on the screen), gets the setup link as a QR code; the customer
opens it on their own phone, sets a password, enrols an authenticator and finds an active
wallet."""

import base64
import re

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import expect

from backoffice import roles
from backoffice.models import Branch
from backoffice.seed import verified_email_ensure
from backoffice.services import staff_member_upsert
from notifications.sms import LocmemSmsBackend
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, resident_id, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER_PASSWORD = "my-own-wallet-pass-2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _sms_code() -> str:
    return re.search(r"\b(\d{6})\b", LocmemSmsBackend.outbox[-1][1]).group(1)


def _code_for(secret: str) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_a_teller_onboards_a_client_who_then_sets_up_their_wallet(browser, live_server, settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()
    base = live_server.url
    branch = Branch.objects.create(code="E2E01", name="端到端测试支行")
    teller = staff_member_upsert(
        email="e2e.teller@example.com",
        password=PASSWORD,
        full_name="柜员 测试",
        role=roles.TELLER,
        branch=branch,
        employee_number="E2E-1",
    )
    verified_email_ensure(teller)
    device = TOTPDeviceFactory(user=teller)

    counter = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    desk = counter.new_page()
    desk.set_default_timeout(15_000)

    # The teller logs in with a password and a second factor.
    desk.goto(f"{base}/accounts/login/")
    desk.fill("#id_login", teller.email)
    desk.fill("#id_password", PASSWORD)
    desk.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(desk).to_have_url(re.compile(r"/accounts/2fa/$"))
    desk.fill("#id_otp_token", totp_code(device))
    desk.click("main form button[type=submit]")

    # 1. The phone: a code by SMS, read out by the customer.
    desk.goto(f"{base}/backoffice/onboarding/")
    desk.click("[data-testid=onboarding-start]")
    expect(desk).to_have_url(re.compile(r"/backoffice/onboarding/\d+/$"))
    desk.fill("#id_phone", "13987654321")
    desk.click("main form:has(input[value=send_code]) button[type=submit]")
    expect(desk.locator("#id_code")).to_be_visible()
    assert LocmemSmsBackend.outbox[-1][0] == "+8613987654321"
    desk.fill("#id_code", _sms_code())
    desk.click("main form:has(input[value=confirm_code]) button[type=submit]")

    # 2. Identity, with a photo of the document.
    expect(desk.locator("#id_document_number")).to_be_visible()
    assert desk.locator("#id_document_front").get_attribute("capture") == "environment"
    desk.fill("#id_full_name", "欧阳明月")
    desk.fill("#id_email", "ouyang.counter@example.com")
    desk.select_option("#id_document_type", "cn_resident_id")
    desk.fill("#id_document_number", resident_id(born="19900307"))
    desk.fill("#id_date_of_birth", "1990-03-07")
    desk.fill("#id_address", "上海市浦东新区世纪大道 1 号")
    desk.set_input_files(
        "#id_document_front", {"name": "front.png", "mimeType": "image/png", "buffer": PNG}
    )
    desk.click("main form:has(input[value=identity]) button[type=submit]")

    # 3. Consent, read on the counter screen.
    expect(desk.locator("#id_accept")).to_be_visible()
    desk.check("#id_accept")
    desk.click("main form:has(input[value=consent]) button[type=submit]")

    # 4. Open everything at once; the setup link shows as a QR code.
    desk.click("[data-testid=onboarding-complete]")
    expect(desk.locator("[data-testid=setup-link] svg")).to_be_visible()
    setup_url = desk.locator("[data-testid=setup-url]").inner_text().strip()
    assert setup_url.startswith(f"{base}/accounts/setup/")
    assert setup_url in LocmemSmsBackend.outbox[-1][1]  # the same link went out by SMS

    # 5. A first cash deposit at the counter, through the teller's till.
    desk.click("[data-testid=onboarding-cash-in]")
    expect(desk).to_have_url(re.compile(r"/backoffice/cash/customers/\d+/in/$"))
    cash_in_url = desk.url
    desk.goto(f"{base}/backoffice/cash/till/open/")
    desk.fill("#id_opening_float", "5000.00")
    desk.click("main form button[type=submit]")
    desk.goto(cash_in_url)
    desk.fill("#id_amount", "200.00")
    desk.click("main form button[type=submit]")
    expect(desk.locator("main")).to_contain_text("200.00")

    # The customer, on their own phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    mine = phone.new_page()
    mine.set_default_timeout(15_000)
    mine.goto(setup_url)
    mine.fill("#id_password1", CUSTOMER_PASSWORD)
    mine.fill("#id_password2", CUSTOMER_PASSWORD)
    mine.click("main form button[type=submit]")
    expect(mine).to_have_url(re.compile(r"/accounts/setup/second-factor/$"))
    mine.click("[data-testid=choose-totp]")
    secret = mine.locator("[data-testid=totp-secret]").inner_text().strip()
    mine.fill("#id_otp_token", _code_for(secret))
    mine.click("main form button[type=submit]")
    expect(mine.locator("[data-testid=backup-codes] li")).to_have_count(10)
    mine.click("main a.button")
    expect(mine).to_have_url(re.compile(r"/dashboard/$"))
    expect(mine.locator("[data-testid=balances]")).to_contain_text("200.00")
    expect(mine.locator("a[href='/wallet/transfer/']")).to_be_visible()  # active: it can move money

    # The link worked once.
    mine.goto(setup_url)
    expect(mine.locator("[data-testid=setup-link-error]")).to_be_visible()

    phone.close()
    counter.close()
