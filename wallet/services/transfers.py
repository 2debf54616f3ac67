"""Customer-to-customer transfers."""

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.phone import normalize_phone
from config.api_errors import ApplicationError

from .. import events, ledger
from ..masking import display_name_masked
from ..models import Transaction, Wallet
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

User = get_user_model()


def recipient_resolve(to: str) -> Wallet:
    """A payee by email, phone number or wallet handle."""
    to = (to or "").strip()
    not_found = _("No wallet was found for this email, phone number or wallet handle.")
    if not to:
        raise ApplicationError(
            not_found, code="payee_not_found", fields={"to": [_("Enter a payee.")]}
        )
    user = None
    if "@" in to:
        user = User.objects.filter(email__iexact=to).first()
    elif to.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        try:
            user = User.objects.filter(phone=normalize_phone(to)).first()
        except ValidationError:
            user = None  # an impossible number belongs to nobody
    else:
        wallet = Wallet.objects.select_related("user").filter(handle__iexact=to).first()
        user = wallet.user if wallet else None
    wallet = Wallet.objects.select_related("user").filter(user=user).first() if user else None
    if wallet is None:
        raise ApplicationError(not_found, code="payee_not_found", fields={"to": [not_found]})
    return wallet


@dataclass(frozen=True)
class TransferRequest:
    """A transfer checked and normalised, ready to confirm and to post."""

    sender: Wallet
    recipient: Wallet
    amount: Decimal
    currency: str
    note: str

    @property
    def recipient_masked(self) -> str:
        return display_name_masked(self.recipient.user)

    def fingerprint(self) -> str:
        return request_fingerprint(
            {
                "kind": "transfer",
                "to": self.recipient.handle,
                "amount": str(self.amount),
                "currency": self.currency,
                "note": self.note,
            }
        )


def transfer_prepare(*, sender_user, to: str, amount, currency, note: str = "") -> TransferRequest:
    """Validate a transfer without moving money: what the confirmation page shows."""
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    note = note_clean(note)
    sender = wallet_get_or_create(user=sender_user)
    refuse_unless_active(sender, field="wallet", own=True)
    recipient = recipient_resolve(to)
    if recipient.pk == sender.pk:
        message = _("You cannot transfer money to yourself.")
        raise ApplicationError(message, code="self_transfer", fields={"to": [message]})
    refuse_unless_active(recipient, field="to", own=False)
    return TransferRequest(
        sender=sender, recipient=recipient, amount=amount, currency=currency, note=note
    )


def transfer_create(
    *,
    sender_user,
    to: str,
    amount,
    currency,
    note: str = "",
    idempotency_key: str,
    step_up: str | None = None,
) -> MovementResult:
    key = idempotency_key_clean(idempotency_key)
    request = transfer_prepare(
        sender_user=sender_user, to=to, amount=amount, currency=currency, note=note
    )
    fingerprint = request.fingerprint()
    guard = limits.OutgoingGuard(
        user=sender_user,
        key=key,
        step_up=step_up,
        kind="transfer",
        payee=request.recipient.handle,
        amount=request.amount,
        currency=request.currency,
        description=f"transfer {request.amount} {request.currency} to {request.recipient_masked}",
    )
    # Accounts exist before the posting, so concurrent first transfers never race to create one.
    source = wallet_account_ensure(wallet=request.sender, currency=request.currency)
    target = wallet_account_ensure(wallet=request.recipient, currency=request.currency)

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        _wallets_still_active(request)
        guard.inside_posting(wallet=request.sender)
        # Judged with the sender's wallet locked: two concurrent transfers see each other.
        assessment = risk.risk_evaluate(
            user=sender_user,
            wallet=request.sender,
            kind="transfer",
            amount=request.amount,
            currency=request.currency,
            payee=request.recipient.handle,
            payee_wallet_id=request.recipient.pk,
        )
        assessment.refuse_if_blocked()
        posting = {
            "initiated_by": sender_user,
            "idempotency_key": key,
            "request_fingerprint": fingerprint,
            "note": request.note,
            "metadata": {
                "from_wallet": request.sender.handle,
                "to_wallet": request.recipient.handle,
                "from_name": display_name_masked(request.sender.user),
                "to_name": request.recipient_masked,
            },
        }
        if assessment.holds:
            txn = risk.held_post(
                assessment=assessment,
                source=source,
                payee_wallet=request.recipient,
                amount=request.amount,
                **posting,
            )
        else:
            txn = ledger.post(
                kind=Transaction.Kind.TRANSFER,
                legs=[ledger.Leg(source, -request.amount), ledger.Leg(target, request.amount)],
                **posting,
            )
            assessment.record(transaction_=txn)
        guard.after_posting(txn)
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return risk.recording_refusals(
        lambda: idempotent(
            user=sender_user,
            key=key,
            fingerprint=fingerprint,
            post=post,
            before=guard.before_posting,
        )
    )


def _wallets_still_active(request: TransferRequest) -> None:
    """Re-read the wallets' status under lock: a freeze that lands mid-request wins."""
    statuses = dict(
        Wallet.objects.select_for_update()
        .filter(pk__in=[request.sender.pk, request.recipient.pk])
        .order_by("pk")
        .values_list("pk", "status")
    )
    request.sender.status = statuses[request.sender.pk]
    request.recipient.status = statuses[request.recipient.pk]
    refuse_unless_active(request.sender, field="wallet", own=True)
    refuse_unless_active(request.recipient, field="to", own=False)
