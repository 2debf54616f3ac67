"""Receipts and statements: PDFs a customer keeps, and receipts anyone can verify."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from wallet import documents, services
from wallet.periods import month_bounds

from .factories import WalletFactory, funded_wallet

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(client):
    sender = funded_wallet("100.00")
    recipient = WalletFactory(user__full_name="赵小云")
    result = services.transfer_create(
        sender_user=sender.user,
        to=recipient.handle,
        amount="12.34",
        currency="CNY",
        note="房租",
        idempotency_key="d",
    )
    client.force_login(sender.user)
    return sender, recipient, result.transaction


def _pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF")
    return content.decode("latin-1")


def test_the_receipt_pdf_downloads_for_its_owner_only(client, paid):
    sender, recipient, txn = paid
    response = client.get(reverse("wallet:receipt_pdf", args=[txn.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    _pdf_text(response.content)
    client.force_login(WalletFactory().user)
    assert client.get(reverse("wallet:receipt_pdf", args=[txn.pk])).status_code == 404


def test_a_receipt_code_verifies_publicly_and_a_forged_one_does_not(client, paid):
    _sender, _recipient, txn = paid
    code = documents.receipt_code(txn)
    client.logout()
    page = client.get(reverse("verify_receipt"), {"code": code.lower()})
    html = page.content.decode()
    assert 'data-testid="receipt-valid"' in html
    assert "12.34" in html and "赵*云" in html

    forged = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert (
        'data-testid="receipt-invalid"'
        in client.get(reverse("verify_receipt"), {"code": forged}).content.decode()
    )
    other_id = f"{txn.pk + 1}-" + code.split("-", 1)[1]
    assert (
        'data-testid="receipt-invalid"'
        in client.get(reverse("verify_receipt"), {"code": other_id}).content.decode()
    )
    assert client.get(reverse("verify_receipt"), {"code": "garbage-!!"}).status_code == 200


def test_receipt_verification_is_rate_limited(client, paid, settings):
    settings.RECEIPT_VERIFY_RATE_PER_MINUTE = 3
    statuses = [
        client.get(reverse("verify_receipt"), {"code": f"1-{i}"}).status_code for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_statement_balances_come_from_entries(paid):
    sender, _recipient, txn = paid
    now = timezone.localtime()
    start, end = month_bounds(now.year, now.month)
    (line,) = documents.statement_summary(sender, start, end)
    assert line.opening == Decimal("0")
    assert line.credits == Decimal("100.00")
    assert line.debits == Decimal("12.34")
    assert line.closing == Decimal("87.66")


def test_the_monthly_statement_pdf(client, paid):
    now = timezone.localtime()
    page = client.get(reverse("wallet:statements"))
    assert (now.year, now.month) in page.context["months"]
    response = client.get(reverse("wallet:statement_pdf", args=[now.year, now.month]))
    assert response.status_code == 200
    _pdf_text(response.content)
    assert client.get(reverse("wallet:statement_pdf", args=[now.year, 13])).status_code == 404


def test_a_statement_for_a_month_without_activity_is_still_a_document(client, paid):
    assert client.get(reverse("wallet:statement_pdf", args=[2001, 1])).status_code == 200


def test_december_bounds_cross_the_year():
    start, end = month_bounds(2026, 12)
    assert (start.year, start.month, end.year, end.month) == (2026, 12, 2027, 1)


def test_the_receipt_says_what_happened(paid):
    sender, _recipient, txn = paid
    entry = txn.entries.get(amount__lt=0)
    pdf = documents.receipt_pdf(
        entry=entry, counterparty="赵*云", verify_url="https://bank.example/verify/receipt/"
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "-12.34 CNY" in text
    assert "赵*云" in text
    assert "房租" in text
    assert documents.receipt_code(txn) in text


def test_the_statement_lists_the_months_movements(paid):
    sender, _recipient, _txn = paid
    now = timezone.localtime()
    from wallet import selectors

    rows = [(e, selectors.counterparty_label(e)) for e in selectors.history_entries(wallet=sender)]
    pdf = documents.statement_pdf(wallet=sender, year=now.year, month=now.month, rows=rows)
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "87.66 CNY" in text  # closing balance
    assert "-12.34 CNY" in text and "+100.00 CNY" in text
