"""Paying a merchant, by its payment code or by scanning its QR code.

A popular merchant receives many payments at the same moment. Its balance is spread over
`Merchant.ledger_shards` ledger rows and each payment credits one chosen at random, so
concurrent payers queue behind different row locks instead of all behind one (Blnk's
balance sharding). The merchant's balance is the sum of its shards.
"""

import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events, ledger
from ..masking import display_name_masked
from ..models import LedgerAccount, Merchant, Transaction, Wallet
from ..money import parse_amount, parse_currency
from . import budgets, limits
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


def merchant_resolve(code: str, *, field: str = "merchant") -> Merchant:
    code = (code or "").strip().upper()
    merchant = Merchant.objects.filter(code=code, is_active=True).first() if code else None
    if merchant is None:
        message = _("No merchant has this payment code.")
        raise ApplicationError(message, code="merchant_not_found", fields={field: [message]})
    return merchant


def merchant_accounts_ensure(*, merchant: Merchant, currency: str) -> list[LedgerAccount]:
    existing = {
        a.shard: a for a in LedgerAccount.objects.filter(merchant=merchant, currency=currency)
    }
    for shard in range(max(merchant.ledger_shards, 1)):
        if shard not in existing:
            existing[shard], _created = LedgerAccount.objects.get_or_create(
                merchant=merchant,
                currency=currency,
                shard=shard,
                defaults={"kind": LedgerAccount.Kind.MERCHANT},
            )
    return [existing[shard] for shard in sorted(existing)]


@dataclass(frozen=True)
class PaymentRequestData:
    payer: Wallet
    merchant: Merchant
    amount: Decimal
    currency: str
    note: str
    extra: dict

    def fingerprint(self) -> str:
        return request_fingerprint(
            {
                "kind": "payment",
                "merchant": self.merchant.code,
                "amount": str(self.amount),
                "currency": self.currency,
                "note": self.note,
                **self.extra,
            }
        )


def payment_prepare(
    *, payer_user, merchant_code: str, amount, currency, note: str = "", extra: dict | None = None
) -> PaymentRequestData:
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    note = note_clean(note)
    payer = wallet_get_or_create(user=payer_user)
    refuse_unless_active(payer, field="wallet", own=True)
    merchant = merchant_resolve(merchant_code)
    return PaymentRequestData(payer, merchant, amount, currency, note, extra or {})


def payment_create(
    *,
    payer_user,
    merchant_code: str,
    amount,
    currency,
    note: str = "",
    idempotency_key: str,
    kind: str = Transaction.Kind.PAYMENT,
    extra: dict | None = None,
    step_up: str | None = None,
) -> MovementResult:
    """Pay a merchant (or a biller, with kind=bill and the bill reference in `extra`)."""
    key = idempotency_key_clean(idempotency_key)
    request = payment_prepare(
        payer_user=payer_user,
        merchant_code=merchant_code,
        amount=amount,
        currency=currency,
        note=note,
        extra=extra,
    )
    fingerprint = request.fingerprint()
    guard = limits.OutgoingGuard(
        user=payer_user,
        key=key,
        step_up=step_up,
        kind=kind,
        payee=request.merchant.code,
        amount=request.amount,
        currency=request.currency,
        description=f"{kind} {request.amount} {request.currency} to {request.merchant.name}",
    )
    source = wallet_account_ensure(wallet=request.payer, currency=request.currency)
    shards = merchant_accounts_ensure(merchant=request.merchant, currency=request.currency)
    target = secrets.choice(shards)

    @transaction.atomic(durable=True)
    def post() -> Transaction:
        payer = Wallet.objects.select_for_update().get(pk=request.payer.pk)
        refuse_unless_active(payer, field="wallet", own=True)
        guard.inside_posting(wallet=payer)
        txn = ledger.post(
            kind=kind,
            legs=[ledger.Leg(source, -request.amount), ledger.Leg(target, request.amount)],
            initiated_by=payer_user,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            note=request.note,
            description=request.merchant.name,
            metadata={
                "from_wallet": payer.handle,
                "from_name": display_name_masked(payer_user),
                "to_name": request.merchant.name,
                "merchant_code": request.merchant.code,
                "merchant_category": request.merchant.category,
                **request.extra,
            },
        )
        guard.after_posting(txn)
        budgets.budget_alerts_record(wallet=payer, category=request.merchant.category)
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return idempotent(
        user=payer_user, key=key, fingerprint=fingerprint, post=post, before=guard.before_posting
    )
