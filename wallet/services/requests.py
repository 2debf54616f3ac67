"""Receiving money: a payment request shown as a QR code or link, paid at most once."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events, ledger
from ..masking import display_name_masked
from ..models import PaymentRequest, Transaction, Wallet
from ..money import parse_amount, parse_currency
from ..risk import services as risk
from . import limits
from .common import (
    MovementResult,
    idempotency_key_clean,
    idempotent,
    note_clean,
    refuse_unless_active,
    request_fingerprint,
    wallet_account_ensure,
    wallet_get_or_create,
)


def payment_request_create(*, user, amount=None, currency, note: str = "") -> PaymentRequest:
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency) if amount not in (None, "") else None
    note = note_clean(note)
    wallet = wallet_get_or_create(user=user)
    refuse_unless_active(wallet, field="wallet", own=True)
    return PaymentRequest.objects.create(
        requester=wallet,
        amount=amount,
        currency=currency,
        note=note,
        expires_at=timezone.now() + timedelta(minutes=settings.WALLET_PAYMENT_REQUEST_TTL_MINUTES),
    )


def payment_request_get(token: str) -> PaymentRequest:
    request = PaymentRequest.objects.select_related("requester__user").filter(token=token).first()
    if request is None:
        message = _("This payment request does not exist.")
        raise ApplicationError(message, code="request_not_found", status_code=404)
    return request


def _refuse_unless_payable(request: PaymentRequest) -> None:
    messages = {
        PaymentRequest.Status.PAID: _("This request has already been paid."),
        PaymentRequest.Status.CANCELLED: _("This request was cancelled."),
        PaymentRequest.Status.EXPIRED: _("This request has expired. Ask for a new one."),
    }
    status = request.effective_status
    if status in messages:
        raise ApplicationError(messages[status], code=f"request_{status}")


@transaction.atomic(durable=True)
def payment_request_cancel(*, user, token: str) -> PaymentRequest:
    request = (
        PaymentRequest.objects.select_for_update().filter(token=token, requester__user=user).first()
    )
    if request is None:
        raise ApplicationError(
            _("This payment request does not exist."), code="request_not_found", status_code=404
        )
    _refuse_unless_payable(request)
    request.status = PaymentRequest.Status.CANCELLED
    request.save(update_fields=["status"])
    return request


def payment_request_pay(
    *, payer_user, token: str, amount=None, idempotency_key: str, step_up: str | None = None
) -> MovementResult:
    key = idempotency_key_clean(idempotency_key)
    request = payment_request_get(token)
    if request.amount is not None:
        amount = request.amount
    elif amount in (None, ""):
        message = _("Enter the amount to pay.")
        raise ApplicationError(message, code="amount_required", fields={"amount": [message]})
    amount = parse_amount(amount, request.currency)
    payer = wallet_get_or_create(user=payer_user)
    fingerprint = request_fingerprint({"kind": "request", "token": token, "amount": str(amount)})
    guard = limits.OutgoingGuard(
        user=payer_user,
        key=key,
        step_up=step_up,
        kind="request",
        payee=token,
        amount=amount,
        currency=request.currency,
        description=f"request {amount} {request.currency}",
    )

    def before() -> None:
        # Only for a new payment: a replay answers even though the request is now paid.
        refuse_unless_active(payer, field="wallet", own=True)
        if payer.pk == request.requester_id:
            message = _("You cannot pay your own request.")
            raise ApplicationError(message, code="self_transfer")
        _refuse_unless_payable(request)
        guard.before_posting()

    source = wallet_account_ensure(wallet=payer, currency=request.currency)
    target = wallet_account_ensure(wallet=request.requester, currency=request.currency)

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        locked = PaymentRequest.objects.select_for_update().get(pk=request.pk)
        _refuse_unless_payable(locked)  # two payers racing: the second finds it paid
        requester = Wallet.objects.select_related("user").get(pk=locked.requester_id)
        refuse_unless_active(requester, field="to", own=False)
        locked_payer = Wallet.objects.select_for_update().get(pk=payer.pk)
        refuse_unless_active(locked_payer, field="wallet", own=True)
        guard.inside_posting(wallet=locked_payer)
        assessment = risk.risk_evaluate(
            user=payer_user,
            wallet=locked_payer,
            kind="request",
            amount=amount,
            currency=request.currency,
            payee=requester.handle,
            payee_wallet_id=requester.pk,
        )
        assessment.refuse_if_blocked()
        posting = {
            "initiated_by": payer_user,
            "idempotency_key": key,
            "request_fingerprint": fingerprint,
            "note": locked.note,
            "metadata": {
                "from_wallet": payer.handle,
                "to_wallet": requester.handle,
                "from_name": display_name_masked(payer_user),
                "to_name": display_name_masked(requester.user),
                "payment_request": locked.token,
            },
        }
        if assessment.holds:
            # The request counts as paid while its payment is held; a rejection reopens it.
            txn = risk.held_post(
                assessment=assessment,
                source=source,
                payee_wallet=requester,
                amount=amount,
                **posting,
            )
        else:
            txn = ledger.post(
                kind=Transaction.Kind.TRANSFER,
                legs=[ledger.Leg(source, -amount), ledger.Leg(target, amount)],
                **posting,
            )
            assessment.record(transaction_=txn)
        guard.after_posting(txn)
        locked.status = PaymentRequest.Status.PAID
        locked.paid_by = txn
        locked.save(update_fields=["status", "paid_by"])
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return risk.recording_refusals(
        lambda: idempotent(
            user=payer_user, key=key, fingerprint=fingerprint, post=post, before=before
        )
    )
