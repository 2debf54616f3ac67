"""E-invoices: titles with a valid taxpayer ID, one live invoice per payment, the refusals, the
platform failing then succeeding, red-letter cancellation, the PDF and the email."""

import io
from datetime import timedelta
from decimal import Decimal

import pgtrigger
import pytest
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from config.api_errors import ApplicationError
from notifications.models import OutboxMessage
from notifications.services import outbox_process
from tests.wallet.factories import MerchantFactory, funded_wallet
from wallet import invoices, services
from wallet.invoicing import uscc
from wallet.invoicing.pdf import invoice_pdf
from wallet.models import Merchant, Transaction
from wallet.models_invoices import Invoice, InvoiceTitle

from .invoice_support import (
    VALID_CODES,
    company_title,
    customer_with_payment,
    invoicing_merchant,
    paid,
    person_title,
)

pytestmark = pytest.mark.django_db


def _refusal(call) -> ApplicationError:
    with pytest.raises(ApplicationError) as caught:
        call()
    return caught.value


def _request(wallet, txn, title, capture):
    with capture(execute=True):
        invoice = invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=title.pk
        )
    invoice.refresh_from_db()
    return invoice


# --- the taxpayer ID --------------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_published_unified_social_credit_codes_pass_the_checksum(code):
    assert uscc.uscc_is_valid(code)
    assert uscc.uscc_is_valid(code.lower())  # typed in lower case: read as capitals


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("911100001000000002", "checksum"),  # looks right, but its check character is R
        ("91350100M000100Y44", "checksum"),  # one character changed
        ("91350100M000100Y4", "length"),
        ("91350100M000100Y433", "length"),
        ("91350100I000100Y43", "charset"),  # I is not in the code's alphabet
        ("", "length"),
    ],
)
def test_codes_that_break_a_rule_of_gb_32100_say_which(code, problem):
    assert uscc.uscc_problem(code) == problem


def test_the_check_character_is_computed_with_weights_3_to_the_i_mod_31():
    assert uscc.WEIGHTS[:5] == (1, 3, 9, 27, 19)
    assert uscc.uscc_check_char("91350100M000100Y4") == "3"
    assert uscc.uscc_complete("911100001000000002"[:17]) == "91110000100000000R"


# --- titles -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("english")
def test_a_company_title_needs_a_valid_taxpayer_id_named_by_field():
    user = funded_wallet().user
    for code, words in (("", "taxpayer ID"), ("91350100M000100Y44", "check character")):
        error = _refusal(
            lambda code=code: invoices.invoice_title_create(
                user=user, values={"kind": "company", "name": "某公司", "taxpayer_id": code}
            )
        )
        assert words in error.fields["taxpayer_id"][0]
    assert not InvoiceTitle.objects.filter(user=user).exists()
    error = _refusal(lambda: invoices.invoice_title_create(user=user, values={"kind": "x"}))
    assert set(error.fields) == {"kind", "name"}


def test_the_first_title_is_the_default_and_one_default_is_kept():
    user = funded_wallet().user
    first = person_title(user)
    second = company_title(user)
    assert first.is_default and not second.is_default
    assert second.taxpayer_id == VALID_CODES[0]
    invoices.invoice_title_update(
        user=user,
        title=second,
        values={
            "kind": "company",
            "name": "新名字",
            "taxpayer_id": VALID_CODES[1],
            "is_default": True,
        },
    )
    assert list(InvoiceTitle.objects.filter(user=user, is_default=True)) == [second]
    invoices.invoice_title_delete(user=user, title=second)
    first.refresh_from_db()
    assert first.is_default


# --- requesting and issuing -------------------------------------------------------------------


def test_an_invoice_is_issued_with_number_seller_buyer_and_tax(django_capture_on_commit_callbacks):
    wallet, merchant, txn = customer_with_payment("106.00", category=Merchant.Category.FOOD)
    title = company_title(wallet.user)
    invoice = _request(wallet, txn, title, django_capture_on_commit_callbacks)
    assert invoice.status == Invoice.Status.ISSUED
    assert len(invoice.number) == 20 and invoice.number.isdigit()
    assert invoice.issued_on == timezone.localdate()
    assert (invoice.seller_name, invoice.seller_taxpayer_id) == (
        merchant.name,
        merchant.taxpayer_id,
    )
    assert (invoice.buyer_name, invoice.buyer_taxpayer_id) == (title.name, VALID_CODES[0])
    assert invoice.amount == Decimal("106.00")
    assert invoice.tax_rate == Decimal("0.06")
    assert invoice.tax_amount == Decimal("6.00")  # 106 - 106/1.06


def test_tax_is_included_in_the_amount_rounded_to_the_cent_by_merchant_category(settings):
    assert invoices.tax_included(Decimal("113.00"), Decimal("0.13")) == Decimal("13.00")
    assert invoices.tax_included(Decimal("10.00"), Decimal("0.06")) == Decimal("0.57")
    assert invoices.tax_included(Decimal("0.01"), Decimal("0.13")) == Decimal("0.00")
    shop = MerchantFactory.build(category=Merchant.Category.SHOPPING)
    assert invoices.tax_rate_for(shop) == Decimal("0.13")
    settings.INVOICE_TAX_RATES = {**settings.INVOICE_TAX_RATES, "shopping": "0.09"}
    assert invoices.tax_rate_for(shop) == Decimal("0.09")


def test_one_invoice_per_payment(django_capture_on_commit_callbacks):
    wallet, _merchant, txn = customer_with_payment()
    title = person_title(wallet.user)
    _request(wallet, txn, title, django_capture_on_commit_callbacks)
    error = _refusal(
        lambda: invoices.invoice_request(user=wallet.user, transaction_id=txn.pk, title_id=title.pk)
    )
    assert error.get_codes() == "already_invoiced"
    assert "transaction" in error.fields
    assert Invoice.objects.filter(transaction=txn).count() == 1


def test_someone_elses_payment_answers_not_found_like_none(django_capture_on_commit_callbacks):
    _owner, _merchant, txn = customer_with_payment()
    stranger = funded_wallet().user
    title = person_title(stranger)
    for transaction_id in (txn.pk, 2_000_000_000, "abc"):
        error = _refusal(
            lambda t=transaction_id: invoices.invoice_request(
                user=stranger, transaction_id=t, title_id=title.pk
            )
        )
        assert error.status_code == 404
    assert not Invoice.objects.exists()


def test_another_customers_title_cannot_be_used():
    wallet, _merchant, txn = customer_with_payment()
    foreign = person_title(funded_wallet().user)
    error = _refusal(
        lambda: invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=foreign.pk
        )
    )
    assert error.get_codes() == "title_not_found" and "title" in error.fields


def test_a_payment_older_than_180_days_is_refused():
    wallet, _merchant, txn = customer_with_payment()
    title = person_title(wallet.user)
    with pgtrigger.ignore("wallet.Transaction:transaction_sealed_columns_frozen"):
        Transaction.objects.filter(pk=txn.pk).update(
            created_at=timezone.now() - timedelta(days=181)
        )
    error = _refusal(
        lambda: invoices.invoice_request(user=wallet.user, transaction_id=txn.pk, title_id=title.pk)
    )
    assert error.get_codes() == "payment_too_old"
    assert "180" in error.fields["transaction"][0]


def test_a_reversed_payment_is_refused():
    wallet, _merchant, txn = customer_with_payment()
    title = person_title(wallet.user)
    from django.db import transaction as db_transaction

    from wallet.services.reversals import transaction_reverse

    staff = funded_wallet().user
    with db_transaction.atomic():
        transaction_reverse(original=txn, reversed_by=staff, reason="refund")
    error = _refusal(
        lambda: invoices.invoice_request(user=wallet.user, transaction_id=txn.pk, title_id=title.pk)
    )
    assert error.get_codes() == "payment_reversed"


def test_a_transfer_is_not_a_merchant_payment():
    wallet = funded_wallet()
    payee = funded_wallet()
    txn = services.transfer_create(
        sender_user=wallet.user,
        to=payee.handle,
        amount="5.00",
        currency="CNY",
        note="",
        idempotency_key="transfer-1",
    ).transaction
    title = person_title(wallet.user)
    error = _refusal(
        lambda: invoices.invoice_request(user=wallet.user, transaction_id=txn.pk, title_id=title.pk)
    )
    assert error.get_codes() == "not_a_merchant_payment"


def test_a_merchant_without_a_taxpayer_id_issues_no_invoice():
    wallet = funded_wallet()
    txn = paid(wallet, MerchantFactory())
    title = person_title(wallet.user)
    error = _refusal(
        lambda: invoices.invoice_request(user=wallet.user, transaction_id=txn.pk, title_id=title.pk)
    )
    assert error.get_codes() == "merchant_not_invoicing"


# --- the platform failing -----------------------------------------------------------------------


def test_the_platform_failing_is_retried_then_succeeds(
    settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_SANDBOX_FAILURE_RATE = 1.0
    wallet, _merchant, txn = customer_with_payment()
    title = person_title(wallet.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invoice = invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=title.pk
        )
    row = OutboxMessage.objects.get(dedupe_key=f"invoice-issue:{invoice.pk}:1")
    with pytest.raises(Exception, match="unavailable"):
        outbox_process(message_id=row.pk)  # the task retries it with backoff
    invoice.refresh_from_db()
    assert (invoice.status, invoice.attempts) == (Invoice.Status.REQUESTED, 1)
    settings.INVOICE_SANDBOX_FAILURE_RATE = 0.0
    assert outbox_process(message_id=row.pk) is True
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED and invoice.attempts == 2
    number = invoice.number
    # A second run (a lost acknowledgement) changes nothing.
    invoices.invoice_issue(invoice_id=invoice.pk)
    invoice.refresh_from_db()
    assert invoice.number == number
    assert callbacks  # the first dispatch was queued after commit


@pytest.mark.usefixtures("english")
def test_after_the_last_attempt_it_fails_with_a_message_and_the_customer_retries(
    settings, django_capture_on_commit_callbacks
):
    settings.INVOICE_SANDBOX_FAILURE_RATE = 1.0
    settings.INVOICE_MAX_ATTEMPTS = 2
    wallet, _merchant, txn = customer_with_payment()
    title = person_title(wallet.user)
    with django_capture_on_commit_callbacks(execute=False):
        invoice = invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=title.pk
        )
    row = OutboxMessage.objects.get(dedupe_key=f"invoice-issue:{invoice.pk}:1")
    with pytest.raises(Exception, match="unavailable"):
        outbox_process(message_id=row.pk)
    with django_capture_on_commit_callbacks(execute=True):
        assert outbox_process(message_id=row.pk) is True  # the last attempt: no more retries
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.FAILED
    assert "invoicing platform" in invoices.failure_message(invoice)
    assert wallet.user.notifications.filter(dedupe_key__startswith="invoice-outcome").exists()
    settings.INVOICE_SANDBOX_FAILURE_RATE = 0.0
    with django_capture_on_commit_callbacks(execute=True):
        invoices.invoice_retry(user=wallet.user, invoice=invoice)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.round) == (Invoice.Status.ISSUED, 2)
    error = _refusal(lambda: invoices.invoice_retry(user=wallet.user, invoice=invoice))
    assert error.status_code == 409


def test_the_seeded_sandbox_fails_the_same_requests_each_run(settings):
    from wallet.invoicing import sandbox

    settings.INVOICE_SANDBOX_SEED = "demo-seed"
    settings.INVOICE_SANDBOX_FAILURE_RATE = 0.5
    sandbox._generators.clear()
    first = [sandbox._draw() for _ in range(5)]
    sandbox._generators.clear()
    assert [sandbox._draw() for _ in range(5)] == first


# --- red-letter -------------------------------------------------------------------------------


def test_a_red_letter_invoice_cancels_and_a_new_one_can_be_requested(
    django_capture_on_commit_callbacks,
):
    wallet, _merchant, txn = customer_with_payment("113.00", category=Merchant.Category.SHOPPING)
    wrong = person_title(wallet.user, name="写错的名字")
    right = company_title(wallet.user)
    original = _request(wallet, txn, wrong, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        red = invoices.invoice_red_letter(user=wallet.user, invoice=original)
    red.refresh_from_db()
    original.refresh_from_db()
    assert red.kind == Invoice.Kind.RED and red.cancels == original
    assert red.status == Invoice.Status.ISSUED and red.number != original.number
    assert (red.amount, red.tax_amount) == (Decimal("-113.00"), Decimal("-13.00"))
    assert original.status == Invoice.Status.CANCELLED
    assert original.buyer_name == "写错的名字"  # never edited
    error = _refusal(lambda: invoices.invoice_red_letter(user=wallet.user, invoice=original))
    assert error.status_code == 409
    error = _refusal(lambda: invoices.invoice_red_letter(user=wallet.user, invoice=red))
    assert error.status_code == 409
    again = _request(wallet, txn, right, django_capture_on_commit_callbacks)
    assert again.status == Invoice.Status.ISSUED and again.buyer_name == right.name
    assert invoices.invoices_of(wallet.user).count() == 3  # both listed, and the new one


# --- documents ----------------------------------------------------------------------------------


def test_the_pdf_carries_number_seller_buyer_and_tax(django_capture_on_commit_callbacks):
    wallet, merchant, txn = customer_with_payment("106.00")
    invoice = _request(wallet, txn, company_title(wallet.user), django_capture_on_commit_callbacks)
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf(invoice))).pages
    )
    for expected in (invoice.number, merchant.taxpayer_id, VALID_CODES[0], "106.00", "6.00", "6%"):
        assert expected in text


def test_email_it_to_me_sends_the_pdf_attached_once(django_capture_on_commit_callbacks):
    wallet, _merchant, txn = customer_with_payment()
    invoice = _request(wallet, txn, person_title(wallet.user), django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        invoices.invoice_email(user=wallet.user, invoice=invoice)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [wallet.user.email]
    (name, content, mimetype) = message.attachments[0]
    assert name == f"e-invoice-{invoice.number}.pdf" and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    row = OutboxMessage.objects.filter(topic=invoices.INVOICE_EMAIL).get()
    assert outbox_process(message_id=row.pk) is False  # done: a second run sends nothing
    assert len(mail.outbox) == 1
    stranger = funded_wallet().user
    assert (
        _refusal(lambda: invoices.invoice_email(user=stranger, invoice=invoice)).status_code == 409
    )


def test_an_invoice_not_yet_issued_cannot_be_emailed(django_capture_on_commit_callbacks):
    wallet, _merchant, txn = customer_with_payment()
    with django_capture_on_commit_callbacks(execute=False):
        invoice = invoices.invoice_request(
            user=wallet.user, transaction_id=txn.pk, title_id=person_title(wallet.user).pk
        )
    assert (
        _refusal(lambda: invoices.invoice_email(user=wallet.user, invoice=invoice)).status_code
        == 409
    )


def test_invoicing_merchant_has_a_valid_taxpayer_id():
    assert uscc.uscc_is_valid(invoicing_merchant().taxpayer_id)
