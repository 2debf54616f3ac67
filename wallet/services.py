"""Every write of the wallet: wallets, their accounts, and the money movements on them.

Top-level money services are durable atomic blocks: one can never run nested inside another
caller's transaction, so "committed" means committed.
"""

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.phone import normalize_phone
from config.api_errors import ApplicationError

from . import events, ledger
from .masking import display_name_masked
from .models import LedgerAccount, Transaction, Wallet
from .money import parse_amount, parse_currency

User = get_user_model()

IDEMPOTENCY_KEY_MAX = 100


# --- accounts ------------------------------------------------------------------------


def wallet_get_or_create(*, user) -> Wallet:
    wallet, _created = Wallet.objects.get_or_create(user=user)
    return wallet


def wallet_account_ensure(*, wallet: Wallet, currency: str) -> LedgerAccount:
    """The wallet's balance in `currency`, created empty on first use."""
    account, _created = LedgerAccount.objects.get_or_create(
        wallet=wallet,
        currency=currency,
        shard=0,
        defaults={"kind": LedgerAccount.Kind.CUSTOMER},
    )
    return account


def system_account_ensure(*, kind: str, currency: str, code: str | None = None) -> LedgerAccount:
    account, _created = LedgerAccount.objects.get_or_create(
        code=code or kind, currency=currency, shard=0, defaults={"kind": kind}
    )
    return account


# --- idempotency ---------------------------------------------------------------------


def request_fingerprint(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotency_key_clean(key) -> str:
    key = (key or "").strip()
    if not key:
        message = _("Every payment needs an idempotency key so that it is never made twice.")
        raise ApplicationError(
            message, code="idempotency_key_missing", fields={"idempotency_key": [message]}
        )
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        message = _("The idempotency key must be at most %(max)d printable characters.") % {
            "max": IDEMPOTENCY_KEY_MAX
        }
        raise ApplicationError(
            message, code="idempotency_key_invalid", fields={"idempotency_key": [message]}
        )
    return key


def _earlier_result(*, user, key: str, fingerprint: str) -> Transaction | None:
    """The transaction an earlier request with this key made, if the request was the same."""
    earlier = Transaction.objects.filter(initiated_by=user, idempotency_key=key).first()
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise ApplicationError(
            _("This idempotency key was already used for a different request."),
            code="idempotency_conflict",
            status_code=409,
        )
    return earlier


@dataclass(frozen=True)
class MovementResult:
    transaction: Transaction
    replayed: bool


def _idempotent(*, user, key: str, fingerprint: str, post) -> MovementResult:
    earlier = _earlier_result(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return MovementResult(earlier, replayed=True)
    try:
        return MovementResult(post(), replayed=False)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its result.
        earlier = _earlier_result(user=user, key=key, fingerprint=fingerprint)
        if earlier is None:
            raise
        return MovementResult(earlier, replayed=True)


# --- wallets -------------------------------------------------------------------------


def _refuse_unless_active(wallet: Wallet, *, field: str, own: bool) -> None:
    if wallet.status == Wallet.Status.ACTIVE:
        return
    if own:
        messages = {
            Wallet.Status.INACTIVE: _("Activate your wallet first."),
            Wallet.Status.FROZEN: _("Your wallet is frozen. Please contact us or visit a branch."),
            Wallet.Status.CLOSED: _("Your wallet is closed."),
        }
    else:
        messages = {
            Wallet.Status.INACTIVE: _("This payee has not activated a wallet yet."),
            Wallet.Status.FROZEN: _("This payee's wallet cannot receive money right now."),
            Wallet.Status.CLOSED: _("This payee's wallet is closed."),
        }
    message = messages[wallet.status]
    raise ApplicationError(message, code=f"wallet_{wallet.status}", fields={field: [message]})


@transaction.atomic(durable=True)
def wallet_activate(*, user) -> Wallet:
    """The customer's explicit step that opens the wallet (and that promotions reward)."""
    wallet, _created = Wallet.objects.select_for_update().get_or_create(user=user)
    if wallet.status == Wallet.Status.ACTIVE:
        return wallet
    if wallet.status != Wallet.Status.INACTIVE:
        _refuse_unless_active(wallet, field="wallet", own=True)
    wallet.status = Wallet.Status.ACTIVE
    wallet.activated_at = timezone.now()
    wallet.save(update_fields=["status", "activated_at"])
    wallet_account_ensure(wallet=wallet, currency=settings.WALLET_DEFAULT_CURRENCY)
    events.emit(events.WALLET_ACTIVATED, wallet_id=wallet.pk, user_id=user.pk)
    return wallet


# --- transfers -----------------------------------------------------------------------


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
    note = (note or "").strip()
    if len(note) > settings.WALLET_NOTE_MAX_LENGTH:
        message = _("The note can be at most %(max)d characters.") % {
            "max": settings.WALLET_NOTE_MAX_LENGTH
        }
        raise ApplicationError(message, code="note_too_long", fields={"note": [message]})
    sender = wallet_get_or_create(user=sender_user)
    _refuse_unless_active(sender, field="wallet", own=True)
    recipient = recipient_resolve(to)
    if recipient.pk == sender.pk:
        message = _("You cannot transfer money to yourself.")
        raise ApplicationError(message, code="self_transfer", fields={"to": [message]})
    _refuse_unless_active(recipient, field="to", own=False)
    return TransferRequest(
        sender=sender, recipient=recipient, amount=amount, currency=currency, note=note
    )


def transfer_create(
    *, sender_user, to: str, amount, currency, note: str = "", idempotency_key: str
) -> MovementResult:
    key = idempotency_key_clean(idempotency_key)
    request = transfer_prepare(
        sender_user=sender_user, to=to, amount=amount, currency=currency, note=note
    )
    fingerprint = request.fingerprint()
    # Accounts exist before the posting, so concurrent first transfers never race to create one.
    source = wallet_account_ensure(wallet=request.sender, currency=request.currency)
    target = wallet_account_ensure(wallet=request.recipient, currency=request.currency)

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        _wallets_still_active(request)
        txn = ledger.post(
            kind=Transaction.Kind.TRANSFER,
            legs=[ledger.Leg(source, -request.amount), ledger.Leg(target, request.amount)],
            initiated_by=sender_user,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            note=request.note,
            metadata={
                "from_wallet": request.sender.handle,
                "to_wallet": request.recipient.handle,
                "from_name": display_name_masked(request.sender.user),
                "to_name": request.recipient_masked,
            },
        )
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return _idempotent(user=sender_user, key=key, fingerprint=fingerprint, post=post)


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
    _refuse_unless_active(request.sender, field="wallet", own=True)
    _refuse_unless_active(request.recipient, field="to", own=False)


# --- funding (the bank side arrives with the funding issue) ---------------------------


@transaction.atomic(durable=True)
def wallet_fund_from_clearing(
    *,
    wallet: Wallet,
    amount: Decimal,
    currency: str,
    description: str,
    metadata: dict | None = None,
) -> Transaction:
    """Credit a wallet from the bank's clearing account: demo seeding and settled top-ups."""
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency=currency)
    target = wallet_account_ensure(wallet=wallet, currency=currency)
    txn = ledger.post(
        kind=Transaction.Kind.TOP_UP,
        legs=[ledger.Leg(clearing, -amount), ledger.Leg(target, amount)],
        description=description,
        metadata={**(metadata or {}), "to_wallet": wallet.handle},
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return txn
