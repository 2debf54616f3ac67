"""What every money service shares: accounts, idempotency, wallet-state checks."""

import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from ..models import LedgerAccount, Transaction, Wallet

IDEMPOTENCY_KEY_MAX = 100


def note_clean(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > settings.WALLET_NOTE_MAX_LENGTH:
        message = _("The note can be at most %(max)d characters.") % {
            "max": settings.WALLET_NOTE_MAX_LENGTH
        }
        raise ApplicationError(message, code="note_too_long", fields={"note": [message]})
    return note


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


def earlier_result(*, user, key: str, fingerprint: str, model=Transaction):
    """What an earlier request with this key made (a transaction, or another `model` keyed the
    same way, such as a funding order), if the request was the same."""
    earlier = model.objects.filter(initiated_by=user, idempotency_key=key).first()
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


def idempotent(*, user, key: str, fingerprint: str, post, before=None) -> MovementResult:
    """The earlier result for this key, or `before()` (checks a replay does not need again,
    such as step-up) and then `post()`."""
    earlier = earlier_result(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return MovementResult(earlier, replayed=True)
    if before is not None:
        before()
    try:
        return MovementResult(post(), replayed=False)
    except IntegrityError:
        # A concurrent request with the same key committed first: answer with its result.
        earlier = earlier_result(user=user, key=key, fingerprint=fingerprint)
        if earlier is None:
            raise
        return MovementResult(earlier, replayed=True)


def refuse_unless_active(wallet: Wallet, *, field: str, own: bool) -> None:
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
