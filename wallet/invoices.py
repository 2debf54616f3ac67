"""E-invoices (电子发票) for merchant payments: the customer's invoice titles, requesting an
invoice, its issue by the invoicing platform (wallet/invoicing/) through the outbox, red-letter
invoices that cancel a mistaken one, and sending the PDF by email.

Requesting writes the invoice (state `requested`) and an outbox row in one transaction; the
outbox task asks the platform, outside any transaction, and applies its answer under the
invoice's row lock while it is still `requested`, so a second run changes nothing. The platform
being unavailable is retried with backoff (the outbox task); after INVOICE_MAX_ATTEMPTS the
invoice is `failed` with a clear message and the customer may try again.
"""

import logging
import uuid
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import email_document_send, notify, outbox_enqueue, register_handler

from .invoicing import InvoicePlatformUnavailable, InvoiceRequest, invoice_connector
from .invoicing.uscc import uscc_normalise, uscc_problem
from .models import Entry, Transaction
from .models_invoices import Invoice, InvoiceTitle
from .money import MINOR_UNITS, format_money

logger = logging.getLogger(__name__)

INVOICE_ISSUE = "wallet.invoice_issue"
INVOICE_OUTCOME = "wallet.invoice_outcome"
INVOICE_EMAIL = "wallet.invoice_email"
TITLES_MAX = 20
INVOICE_CURRENCY = "CNY"

FAILURE_REASONS = {
    "platform_unavailable": gettext_lazy(
        "The tax authority's invoicing platform did not answer after several tries. "
        "Please try again later."
    ),
}


def _refuse(message: str, *, code: str, field: str | None = None, status_code=None):
    fields = {field: [message]} if field else {}
    raise ApplicationError(message, code=code, fields=fields, status_code=status_code)


# --- reads -------------------------------------------------------------------------------


def titles_of(user) -> QuerySet[InvoiceTitle]:
    return InvoiceTitle.objects.filter(user=user).order_by("-is_default", "name", "pk")


def invoices_of(user) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(user=user)
        .select_related("merchant", "cancels")
        .order_by("-created_at", "-pk")
    )


def invoice_of(user, pk) -> Invoice | None:
    if not str(pk).isdigit() or int(pk) > 2**63 - 1:
        return None
    return invoices_of(user).filter(pk=int(pk)).first()


def live_invoice_for_payment(user, transaction_id: int) -> Invoice | None:
    """The payment's current (not cancelled) invoice, if the customer has one."""
    return (
        Invoice.objects.filter(user=user, transaction_id=transaction_id, kind=Invoice.Kind.BLUE)
        .exclude(status=Invoice.Status.CANCELLED)
        .first()
    )


def failure_message(invoice: Invoice) -> str:
    if invoice.status != Invoice.Status.FAILED:
        return ""
    return str(FAILURE_REASONS.get(invoice.failure_reason, FAILURE_REASONS["platform_unavailable"]))


# --- invoice titles ------------------------------------------------------------------------


def _title_clean(values: dict) -> dict:
    kind = (values.get("kind") or "").strip()
    errors: dict[str, list[str]] = {}
    if kind not in InvoiceTitle.Kind.values:
        errors["kind"] = [_("Choose a person or a company.")]
    name = (values.get("name") or "").strip()
    if not name:
        errors["name"] = [_("Enter the name printed on the invoice.")]
    elif len(name) > 100:
        errors["name"] = [_("The name can be at most 100 characters.")]
    taxpayer_id = uscc_normalise(values.get("taxpayer_id") or "")
    if kind == InvoiceTitle.Kind.COMPANY:
        problem = uscc_problem(taxpayer_id) if taxpayer_id else "missing"
        if problem == "missing":
            errors["taxpayer_id"] = [_("A company's invoice needs its taxpayer ID.")]
        elif problem == "length":
            errors["taxpayer_id"] = [
                _("The taxpayer ID (unified social credit code) has 18 characters.")
            ]
        elif problem == "charset":
            errors["taxpayer_id"] = [
                _("The taxpayer ID has only digits and capital letters other than I, O, S, V, Z.")
            ]
        elif problem == "checksum":
            errors["taxpayer_id"] = [
                _("This taxpayer ID is not valid: its check character does not match.")
            ]
    else:
        taxpayer_id = ""
    extra = {}
    for field, limit in (("address", 200), ("phone", 30), ("bank_name", 100), ("bank_account", 40)):
        value = (values.get(field) or "").strip()
        if kind == InvoiceTitle.Kind.PERSON:
            value = ""  # special VAT invoices are for companies only
        if len(value) > limit:
            errors[field] = [_("At most %(max)d characters.") % {"max": limit}]
        extra[field] = value
    if errors:
        first = next(iter(errors.values()))[0]
        raise ApplicationError(first, code="invalid_title", fields=errors)
    return {"kind": kind, "name": name, "taxpayer_id": taxpayer_id, **extra}


def _make_default(user, title: InvoiceTitle) -> None:
    InvoiceTitle.objects.filter(user=user, is_default=True).exclude(pk=title.pk).update(
        is_default=False
    )
    if not title.is_default:
        title.is_default = True
        title.save(update_fields=["is_default"])


@transaction.atomic
def invoice_title_create(*, user, values: dict) -> InvoiceTitle:
    """A new title; the first one, or one asked to be, becomes the default."""
    cleaned = _title_clean(values)
    existing = titles_of(user).select_for_update()
    count = len(existing)
    if count >= TITLES_MAX:
        _refuse(
            _("You can keep at most %(max)d invoice titles.") % {"max": TITLES_MAX},
            code="too_many_titles",
            field="name",
        )
    title = InvoiceTitle.objects.create(user=user, **cleaned)
    if count == 0 or values.get("is_default"):
        _make_default(user, title)
    return title


@transaction.atomic
def invoice_title_update(*, user, title: InvoiceTitle, values: dict) -> InvoiceTitle:
    """Change a title. Invoices already issued keep the buyer they were issued to."""
    cleaned = _title_clean(values)
    title = InvoiceTitle.objects.select_for_update().get(pk=title.pk, user=user)
    for field, value in cleaned.items():
        setattr(title, field, value)
    title.save(update_fields=list(cleaned))
    if values.get("is_default"):
        _make_default(user, title)
    return title


@transaction.atomic
def invoice_title_delete(*, user, title: InvoiceTitle) -> None:
    """Remove a title; if it was the default, the next one becomes the default."""
    removed = InvoiceTitle.objects.select_for_update().filter(pk=title.pk, user=user)
    was_default = removed.filter(is_default=True).exists()
    removed.delete()
    if was_default:
        following = titles_of(user).first()
        if following is not None:
            _make_default(user, following)


# --- requesting ------------------------------------------------------------------------------


def tax_included(amount: Decimal, rate: Decimal, currency: str = INVOICE_CURRENCY) -> Decimal:
    """The VAT inside a tax-inclusive amount: amount - amount / (1 + rate), to the cent (四舍五入)."""
    quantum = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return (amount - amount / (1 + rate)).quantize(quantum, rounding=ROUND_HALF_UP)


def tax_rate_for(merchant) -> Decimal:
    rates = settings.INVOICE_TAX_RATES
    return Decimal(str(rates.get(merchant.category, rates.get("other", "0.06"))))


def payment_for_invoice_check(*, user, transaction_id) -> tuple[Transaction, Entry, object]:
    """The customer's own completed merchant payment that may be invoiced, or a refusal."""
    entry = None
    if str(transaction_id or "").strip().isdigit() and int(transaction_id) <= 2**63 - 1:
        entry = (
            Entry.objects.filter(
                account__wallet__user=user, transaction_id=int(transaction_id), amount__lt=0
            )
            .select_related("transaction")
            .first()
        )
    if entry is None:
        # Someone else's payment, or none at all: the same answer (404).
        _refuse(
            _("No such payment of yours."), code="not_found", field="transaction", status_code=404
        )
    txn = entry.transaction
    merchant_entry = None
    if txn.kind == Transaction.Kind.PAYMENT:
        merchant_entry = (
            Entry.objects.filter(transaction=txn, account__merchant__isnull=False)
            .select_related("account__merchant")
            .first()
        )
    if merchant_entry is None:
        _refuse(
            _("Only merchant payments can have an e-invoice."),
            code="not_a_merchant_payment",
            field="transaction",
        )
    merchant = merchant_entry.account.merchant
    if txn.status != Transaction.Status.COMPLETED:
        _refuse(
            _("This payment is not completed, so it cannot have an e-invoice yet."),
            code="payment_not_completed",
            field="transaction",
        )
    if Transaction.objects.filter(reverses=txn).exists():
        _refuse(
            _("This payment was refunded or reversed, so it cannot have an e-invoice."),
            code="payment_reversed",
            field="transaction",
        )
    if timezone.now() - txn.created_at > timedelta(days=settings.INVOICE_MAX_AGE_DAYS):
        _refuse(
            _("E-invoices can be requested within %(days)d days of the payment.")
            % {"days": settings.INVOICE_MAX_AGE_DAYS},
            code="payment_too_old",
            field="transaction",
        )
    if entry.currency != INVOICE_CURRENCY:
        _refuse(
            _("E-invoices are issued for payments in CNY only."),
            code="currency_not_invoiced",
            field="transaction",
        )
    if not merchant.taxpayer_id:
        _refuse(
            _("This merchant does not issue e-invoices through the wallet."),
            code="merchant_not_invoicing",
            field="transaction",
        )
    return txn, entry, merchant


def _title_of(user, title_id) -> InvoiceTitle:
    title = None
    if str(title_id or "").strip().isdigit() and int(title_id) <= 2**63 - 1:
        title = titles_of(user).filter(pk=int(title_id)).first()
    if title is None:
        _refuse(_("Choose one of your invoice titles."), code="title_not_found", field="title")
    return title


def _already_invoiced():
    _refuse(
        _("This payment already has an e-invoice. Cancel it with a red-letter invoice first."),
        code="already_invoiced",
        field="transaction",
    )


def invoice_request(*, user, transaction_id, title_id) -> Invoice:
    """Ask for the e-invoice of a payment, made out to one of the customer's titles. One live
    invoice per payment: a second request, even at the same moment, is refused."""
    txn, entry, merchant = payment_for_invoice_check(user=user, transaction_id=transaction_id)
    title = _title_of(user, title_id)
    if live_invoice_for_payment(user, txn.pk) is not None:
        _already_invoiced()
    amount = -entry.amount
    rate = tax_rate_for(merchant)
    try:
        with transaction.atomic(durable=True):
            invoice = Invoice.objects.create(
                user=user,
                transaction=txn,
                merchant=merchant,
                title=title,
                buyer_name=title.name,
                buyer_taxpayer_id=title.taxpayer_id,
                buyer_details=_buyer_details(title),
                seller_name=merchant.name,
                seller_taxpayer_id=merchant.taxpayer_id,
                amount=amount,
                currency=entry.currency,
                tax_rate=rate,
                tax_amount=tax_included(amount, rate, entry.currency),
            )
            _issue_later(invoice)
    except IntegrityError:
        _already_invoiced()
    return invoice


def _buyer_details(title: InvoiceTitle) -> dict:
    fields = ("address", "phone", "bank_name", "bank_account")
    return {field: getattr(title, field) for field in fields if getattr(title, field)}


def _issue_later(invoice: Invoice) -> None:
    outbox_enqueue(
        topic=INVOICE_ISSUE,
        payload={"invoice_id": invoice.pk},
        dedupe_key=f"invoice-issue:{invoice.pk}:{invoice.round}",
    )


def invoice_retry(*, user, invoice: Invoice) -> Invoice:
    """Try a failed invoice again (a new round of attempts at the platform)."""
    with transaction.atomic(durable=True):
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk, user=user)
        if locked.status != Invoice.Status.FAILED:
            _refuse(
                _("Only an invoice that failed can be tried again."),
                code="invoice_not_failed",
                status_code=409,
            )
        locked.status = Invoice.Status.REQUESTED
        locked.attempts = 0
        locked.round += 1
        locked.failure_reason = ""
        locked.save(update_fields=["status", "attempts", "round", "failure_reason"])
        _issue_later(locked)
    return locked


def invoice_red_letter(*, user, invoice: Invoice) -> Invoice:
    """Cancel an issued invoice with a red-letter invoice (红字发票): the same seller, buyer and
    tax rate with negative amounts, pointing at it. The original is never edited; once the
    red-letter invoice is issued, the payment may be invoiced again (with another title)."""
    try:
        with transaction.atomic(durable=True):
            original = Invoice.objects.select_for_update().get(pk=invoice.pk, user=user)
            if original.kind != Invoice.Kind.BLUE or original.status != Invoice.Status.ISSUED:
                _refuse(
                    _("Only an issued invoice can be cancelled with a red-letter invoice."),
                    code="invoice_not_cancellable",
                    status_code=409,
                )
            if Invoice.objects.filter(cancels=original).exists():
                _refuse(
                    _("This invoice already has a red-letter invoice."),
                    code="already_cancelled",
                    status_code=409,
                )
            red = Invoice.objects.create(
                user=user,
                transaction_id=original.transaction_id,
                merchant_id=original.merchant_id,
                kind=Invoice.Kind.RED,
                cancels=original,
                title=original.title,
                buyer_name=original.buyer_name,
                buyer_taxpayer_id=original.buyer_taxpayer_id,
                buyer_details=original.buyer_details,
                seller_name=original.seller_name,
                seller_taxpayer_id=original.seller_taxpayer_id,
                amount=-original.amount,
                currency=original.currency,
                tax_rate=original.tax_rate,
                tax_amount=-original.tax_amount,
            )
            _issue_later(red)
    except IntegrityError:
        _refuse(
            _("This invoice already has a red-letter invoice."),
            code="already_cancelled",
            status_code=409,
        )
    return red


# --- issue (the outbox task) -------------------------------------------------------------------


def _platform_request(invoice: Invoice) -> InvoiceRequest:
    return InvoiceRequest(
        reference=f"WALLET-INV-{invoice.pk}",
        kind=invoice.kind,
        seller_name=invoice.seller_name,
        seller_taxpayer_id=invoice.seller_taxpayer_id,
        buyer_name=invoice.buyer_name,
        buyer_taxpayer_id=invoice.buyer_taxpayer_id,
        amount=invoice.amount,
        tax_rate=invoice.tax_rate,
        tax_amount=invoice.tax_amount,
        currency=invoice.currency,
        cancels_number=(invoice.cancels.number or "") if invoice.cancels_id else "",
    )


def invoice_issue(*, invoice_id: int) -> None:
    """Ask the platform for the invoice and record its answer once.

    Runs with no transaction open (the platform may be slow). Unavailable: the attempt is
    counted and the error raised for the outbox task to retry with backoff, until the last
    attempt marks the invoice failed. The platform dedupes by reference, so a second run after
    a lost answer gets the same number.
    """
    invoice = Invoice.objects.select_related("cancels").get(pk=invoice_id)
    if invoice.status != Invoice.Status.REQUESTED:
        return
    try:
        issued = invoice_connector().issue(_platform_request(invoice))
    except InvoicePlatformUnavailable:
        if _count_failed_attempt(invoice_id):
            raise
        return
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice_id)
        if locked.status != Invoice.Status.REQUESTED:
            return  # another run recorded it first
        locked.status = Invoice.Status.ISSUED
        locked.number = issued.number
        locked.issued_on = issued.issued_on
        locked.issued_at = timezone.now()
        locked.attempts += 1
        locked.save(update_fields=["status", "number", "issued_on", "issued_at", "attempts"])
        if locked.kind == Invoice.Kind.RED:
            Invoice.objects.filter(pk=locked.cancels_id).update(status=Invoice.Status.CANCELLED)
        _outcome_later(locked)
    logger.info("invoice %s issued: %s", invoice_id, issued.number)


def _count_failed_attempt(invoice_id: int) -> bool:
    """Count an attempt the platform did not answer. True: retry; False: it is now failed."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice_id)
        if locked.status != Invoice.Status.REQUESTED:
            return False
        locked.attempts += 1
        if locked.attempts < settings.INVOICE_MAX_ATTEMPTS:
            locked.save(update_fields=["attempts"])
            return True
        locked.status = Invoice.Status.FAILED
        locked.failure_reason = "platform_unavailable"
        locked.save(update_fields=["attempts", "status", "failure_reason"])
        _outcome_later(locked)
    logger.warning("invoice %s failed after %s attempts", invoice_id, locked.attempts)
    return False


def _outcome_later(invoice: Invoice) -> None:
    outbox_enqueue(
        topic=INVOICE_OUTCOME,
        payload={"invoice_id": invoice.pk},
        dedupe_key=f"invoice-outcome:{invoice.pk}:{invoice.round}:{invoice.status}",
    )


def invoice_outcome_send(*, invoice_id: int) -> None:
    invoice = Invoice.objects.select_related("user").get(pk=invoice_id)
    values = {
        "seller": invoice.seller_name,
        "amount": format_money(abs(invoice.amount), invoice.currency),
    }
    if invoice.status == Invoice.Status.FAILED:
        title = _("E-invoice not issued")
        body = _("The e-invoice of %(amount)s from %(seller)s could not be issued.") % values
        body = f"{body} {failure_message(invoice)}"
    elif invoice.kind == Invoice.Kind.RED:
        title = _("Red-letter invoice issued")
        body = _("The invoice of %(amount)s from %(seller)s is cancelled.") % values
    else:
        title = _("E-invoice issued")
        body = _("Your e-invoice of %(amount)s from %(seller)s is ready to download.") % values
    notify(
        user=invoice.user,
        kind=Notification.Kind.TRANSACTION,
        title=title,
        body=body,
        dedupe_key=f"invoice-outcome:{invoice.pk}:{invoice.round}:{invoice.status}",
        link=reverse("wallet:invoice", args=[invoice.pk]),
    )


# --- email ---------------------------------------------------------------------------------------


def invoice_email(*, user, invoice: Invoice) -> None:
    """Send the issued invoice's PDF to the customer's own email address (after commit)."""
    if invoice.user_id != user.pk or invoice.status not in (
        Invoice.Status.ISSUED,
        Invoice.Status.CANCELLED,
    ):
        _refuse(
            _("Only an issued invoice can be sent by email."),
            code="invoice_not_issued",
            status_code=409,
        )
    if not user.email:
        _refuse(_("Your account has no email address."), code="no_email")
    with transaction.atomic():
        outbox_enqueue(
            topic=INVOICE_EMAIL,
            payload={"invoice_id": invoice.pk, "request": uuid.uuid4().hex},
            dedupe_key=f"invoice-email:{invoice.pk}:{uuid.uuid4().hex}",
        )


def invoice_email_send(*, invoice_id: int, request: str) -> None:
    from .invoicing.pdf import invoice_pdf

    invoice = Invoice.objects.select_related("user", "cancels").get(pk=invoice_id)
    number = invoice.number
    email_document_send(
        user=invoice.user,
        title=_("Your e-invoice %(number)s") % {"number": number},
        body=_("Your e-invoice from %(seller)s is attached (PDF).")
        % {"seller": invoice.seller_name},
        dedupe_key=f"invoice-email:{invoice.pk}:{request}",
        filename=f"e-invoice-{number}.pdf",
        content=invoice_pdf(invoice),
        mimetype="application/pdf",
        link=reverse("wallet:invoice", args=[invoice.pk]),
    )


def connect() -> None:
    register_handler(INVOICE_ISSUE, invoice_issue, in_row_transaction=False)
    register_handler(INVOICE_OUTCOME, invoice_outcome_send)
    register_handler(INVOICE_EMAIL, invoice_email_send)
