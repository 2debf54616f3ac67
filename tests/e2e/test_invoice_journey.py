"""In a real browser: from a coffee payment's details, add a company invoice title, request the
e-invoice, see it issued and download its PDF; then cancel it with a red-letter invoice."""

import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.accounts.factories import PASSWORD
from tests.wallet.invoice_support import VALID_CODES, customer_with_payment
from wallet.models_invoices import Invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", email)
    page.fill("#id_password", PASSWORD)
    page.click("main form[action='/accounts/login/'] button[type=submit]")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))


def test_request_an_e_invoice_for_a_payment_and_download_it(page, live_server):
    wallet, merchant, payment = customer_with_payment("106.00")
    base = live_server.url
    _log_in(page, base, wallet.user.email)

    page.goto(f"{base}/wallet/transactions/{payment.pk}/")
    page.click("[data-testid=invoice-request]")
    expect(page).to_have_url(re.compile(rf"/wallet/transactions/{payment.pk}/invoice/$"))
    page.click("[data-testid=add-invoice-title]")

    # A mistyped taxpayer ID is refused under its field; nothing is saved.
    page.check("#id_kind_1")
    page.fill("#id_name", "上海测试科技有限公司")
    page.fill("#id_taxpayer_id", VALID_CODES[0][:-1] + "4")
    page.click("[data-testid=invoice-title-form] button[type=submit]")
    expect(page.locator("#id_taxpayer_id_error")).to_be_visible()
    page.fill("#id_taxpayer_id", VALID_CODES[0])
    page.click("[data-testid=invoice-title-form] button[type=submit]")
    expect(page).to_have_url(re.compile(rf"/wallet/transactions/{payment.pk}/invoice/$"))

    page.click("[data-testid=invoice-request-submit]")
    expect(page).to_have_url(re.compile(r"/wallet/invoices/\d+/$"))
    invoice = Invoice.objects.get(user=wallet.user)
    expect(page.locator("[data-testid=invoice-number]")).to_have_text(invoice.number)
    assert invoice.status == Invoice.Status.ISSUED

    with page.expect_download() as caught:
        page.click("[data-testid=invoice-download]")
    download = caught.value
    assert download.suggested_filename == f"e-invoice-{invoice.number}.pdf"
    with open(download.path(), "rb") as pdf:
        text = PdfReader(io.BytesIO(pdf.read())).pages[0].extract_text()
    for expected in (invoice.number, merchant.taxpayer_id, VALID_CODES[0], "106.00", "6.00"):
        assert expected in text

    # A mistake on it: a red-letter invoice cancels it, and the payment may be invoiced again.
    page.locator("details summary").last.click()
    page.click("[data-testid=invoice-red-letter]")
    expect(page.locator("[data-testid=invoice-status]")).to_be_visible()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.CANCELLED
    page.goto(f"{base}/wallet/invoices/")
    expect(page.locator("[data-testid=invoice-row]")).to_have_count(2)
    page.goto(f"{base}/wallet/transactions/{payment.pk}/")
    expect(page.locator("[data-testid=invoice-request]")).to_be_visible()
