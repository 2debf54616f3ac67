"""E-invoices under real concurrency on PostgreSQL: requests for one payment at the same moment
make one invoice (the partial unique index decides); two workers issuing it record one number;
two red-letter requests at once make one red-letter invoice."""

import pytest

from config.api_errors import ApplicationError
from notifications.models import OutboxMessage
from notifications.services import outbox_process
from tests.concurrency import together
from wallet import invoices
from wallet.models_invoices import Invoice, SandboxInvoiceRecord

from .invoice_support import company_title, customer_with_payment, person_title

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_dispatch(monkeypatch):
    from notifications import services as outbox

    monkeypatch.setattr(outbox, "outbox_dispatch", lambda **kwargs: None)  # workers run it here


def test_concurrent_requests_for_one_payment_make_one_invoice(no_dispatch):
    wallet, _merchant, txn = customer_with_payment()
    titles = [person_title(wallet.user), company_title(wallet.user)]
    outcomes = together(
        6,
        lambda i: (
            invoices.invoice_request(
                user=wallet.user, transaction_id=txn.pk, title_id=titles[i % 2].pk
            ).pk
        ),
    )
    made = [value for kind, value in outcomes if kind == "ok"]
    refused = [value for kind, value in outcomes if kind == "error"]
    assert len(made) == 1
    assert all(isinstance(e, ApplicationError) for e in refused), refused
    assert {e.get_codes() for e in refused} == {"already_invoiced"}
    assert Invoice.objects.filter(transaction=txn).count() == 1


def test_two_workers_issuing_one_invoice_record_one_number(no_dispatch):
    wallet, _merchant, txn = customer_with_payment()
    invoice = invoices.invoice_request(
        user=wallet.user, transaction_id=txn.pk, title_id=person_title(wallet.user).pk
    )
    row = OutboxMessage.objects.get(dedupe_key=f"invoice-issue:{invoice.pk}:1")
    outcomes = together(4, lambda i: outbox_process(message_id=row.pk))
    assert sorted(str(value) for _kind, value in outcomes) == ["False"] * 3 + ["True"]
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.ISSUED
    assert SandboxInvoiceRecord.objects.count() == 1


def test_two_red_letter_requests_at_once_make_one(no_dispatch):
    wallet, _merchant, txn = customer_with_payment()
    invoice = invoices.invoice_request(
        user=wallet.user, transaction_id=txn.pk, title_id=person_title(wallet.user).pk
    )
    invoices.invoice_issue(invoice_id=invoice.pk)
    outcomes = together(
        4, lambda i: invoices.invoice_red_letter(user=wallet.user, invoice=invoice).pk
    )
    assert len([v for kind, v in outcomes if kind == "ok"]) == 1
    assert Invoice.objects.filter(kind=Invoice.Kind.RED).count() == 1
