"""Demo data of e-invoices (issue 10): taxpayer IDs for the demo merchants, invoice titles (the
customer themself and a company with a valid code) and an issued e-invoice for a demo payment
of each demo customer. Idempotent: seeding again changes nothing."""

from decimal import Decimal

from config.api_errors import ApplicationError

from . import invoices, services
from .invoicing import InvoicePlatformUnavailable
from .invoicing.uscc import uscc_complete
from .models import Merchant
from .models_invoices import InvoiceTitle

# Made-up but valid codes (the check character computed per GB 32100-2015).
DEMO_MERCHANT_TAXPAYER_IDS = {
    "LUCKIN01": uscc_complete("91310115MA1H7Q8L3"),
    "METRO01": uscc_complete("91310000132212345"),
    "FAMILY01": uscc_complete("91310000607304561"),
}
DEMO_COMPANY = ("上海陆家嘴示范科技有限公司", uscc_complete("91310115MA1K4DEM0"))
DEMO_PAYMENT = ("LUCKIN01", Decimal("38.00"))


def demo_merchant_taxpayer_ids_ensure() -> None:
    for code, taxpayer_id in DEMO_MERCHANT_TAXPAYER_IDS.items():
        Merchant.objects.filter(code=code, taxpayer_id="").update(taxpayer_id=taxpayer_id)


def _titles_ensure(user) -> InvoiceTitle:
    person = InvoiceTitle.objects.filter(user=user, kind=InvoiceTitle.Kind.PERSON).first()
    if person is None:
        person = invoices.invoice_title_create(
            user=user, values={"kind": "person", "name": user.full_name or user.email}
        )
    name, code = DEMO_COMPANY
    if not InvoiceTitle.objects.filter(user=user, taxpayer_id=code).exists():
        invoices.invoice_title_create(
            user=user, values={"kind": "company", "name": name, "taxpayer_id": code}
        )
    return person


def demo_invoices_ensure(*, customers, payers) -> int:
    """Titles for `customers`; a coffee paid by each of `payers`, with its issued e-invoice.
    Returns how many demo invoices are issued."""
    demo_merchant_taxpayer_ids_ensure()
    titles = {customer.pk: _titles_ensure(customer) for customer in (*customers, *payers)}
    issued = 0
    merchant_code, amount = DEMO_PAYMENT
    for customer in payers:
        title = titles[customer.pk]
        try:
            payment = services.payment_create(
                payer_user=customer,
                merchant_code=merchant_code,
                amount=amount,
                currency="CNY",
                note="咖啡",
                idempotency_key="seed-invoice-payment",
            ).transaction
        except ApplicationError:
            continue  # a frozen or empty demo wallet: no payment, no invoice
        invoice = invoices.live_invoice_for_payment(customer, payment.pk)
        if invoice is None:
            try:
                invoice = invoices.invoice_request(
                    user=customer, transaction_id=payment.pk, title_id=title.pk
                )
            except ApplicationError:
                continue  # e.g. the demo payment was reversed
        try:
            invoices.invoice_issue(invoice_id=invoice.pk)  # the outbox task may have run first
        except InvoicePlatformUnavailable:
            continue  # the sandbox is set to fail: the outbox task retries it
        issued += 1
    return issued
