"""Paying a merchant, by its payment code or by scanning its QR code.

A popular merchant receives many payments at the same moment. Its balance is spread over
`Merchant.ledger_shards` ledger rows and each payment credits one chosen at random, so
concurrent payers queue behind different row locks instead of all behind one (Blnk's
balance sharding). The merchant's balance is the sum of its shards.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events, ledger
from ..masking import display_name_masked
from ..models import LedgerAccount, Merchant, Transaction, Wallet
from ..money import MINOR_UNITS, parse_amount, parse_currency
from ..risk import services as risk
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


# --- discounts: a hook other apps fill (promotions), so the wallet never imports them ----------


@dataclass
class Discount:
    """Money a third party (a campaign's pool) pays towards a payment.

    The merchant still receives the full amount; the customer pays `amount` less; `account`
    pays the difference in the same ledger transaction. `on_posted` records what the discount
    was used for once the transaction exists (a voucher's `used_by_transaction`).
    """

    amount: Decimal
    account: LedgerAccount | None = None
    label: str = ""
    metadata: dict = field(default_factory=dict)
    on_posted: Callable[[Transaction], None] | None = None


# provider(*, payer_user, merchant, amount, currency, voucher, reserve) -> Discount | None.
# With reserve=False it only quotes (the confirm page, the preview API): no lock, no write.
# With reserve=True it runs inside the payment's transaction, after the payer's wallet row is
# locked, and locks and reserves what it gives. A bad voucher raises ApplicationError on `voucher`.
_discount_providers: list[Callable] = []


def register_discount_provider(provider: Callable) -> None:
    if provider not in _discount_providers:
        _discount_providers.append(provider)


def unregister_discount_provider(provider: Callable) -> None:
    if provider in _discount_providers:
        _discount_providers.remove(provider)


# lister(user) -> [(voucher id, label)]: the vouchers the pay pages offer to choose from.
_voucher_listers: list[Callable] = []


def register_voucher_lister(lister: Callable) -> None:
    if lister not in _voucher_listers:
        _voucher_listers.append(lister)


def voucher_choices(user) -> list[tuple[int, str]]:
    return [choice for lister in _voucher_listers for choice in lister(user)]


def _discount_find(*, request, payer_user, reserve: bool) -> Discount | None:
    if request.voucher is not None and not _discount_providers:
        message = _("Vouchers cannot be used right now.")
        raise ApplicationError(message, code="voucher_invalid", fields={"voucher": [message]})
    for provider in _discount_providers:
        discount = provider(
            payer_user=payer_user,
            merchant=request.merchant,
            amount=request.amount,
            currency=request.currency,
            voucher=request.voucher,
            reserve=reserve,
        )
        if discount is not None and discount.amount > 0:
            return _discount_capped(discount, request)
    return None


def _discount_capped(discount: Discount, request) -> Discount:
    """The customer always pays at least the currency's smallest unit: a payment stays the
    customer's own debit, so limits, history and receipts keep one shape."""
    ceiling = request.amount - Decimal(1).scaleb(-MINOR_UNITS[request.currency])
    if discount.amount > ceiling:
        discount.amount = max(ceiling, Decimal("0"))
    return discount


@dataclass(frozen=True)
class PaymentQuote:
    amount: Decimal
    discount: Decimal
    charged: Decimal
    currency: str
    label: str


def payment_preview(
    *, payer_user, merchant_code: str, amount, currency, note: str = "", voucher=None
) -> tuple["PaymentRequestData", PaymentQuote]:
    """What the customer would pay: the discount is quoted, nothing is reserved."""
    request = payment_prepare(
        payer_user=payer_user,
        merchant_code=merchant_code,
        amount=amount,
        currency=currency,
        note=note,
        voucher=voucher,
    )
    discount = _discount_find(request=request, payer_user=payer_user, reserve=False)
    return request, _quote(request, discount)


def _quote(request, discount: Discount | None) -> PaymentQuote:
    off = discount.amount if discount else Decimal("0")
    return PaymentQuote(
        amount=request.amount,
        discount=off,
        charged=request.amount - off,
        currency=request.currency,
        label=discount.label if discount else "",
    )


# --- end discounts ------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentRequestData:
    payer: Wallet
    merchant: Merchant
    amount: Decimal
    currency: str
    note: str
    extra: dict
    voucher: int | None = None

    def fingerprint(self, expected_discount: Decimal | None = None) -> str:
        discount = {}
        # Only when there is one, so the fingerprint of a payment without stays what it was.
        if self.voucher is not None:
            discount["voucher"] = self.voucher
        if expected_discount is not None:
            discount["expected_discount"] = str(expected_discount)
        return request_fingerprint(
            {
                "kind": "payment",
                "merchant": self.merchant.code,
                "amount": str(self.amount),
                "currency": self.currency,
                "note": self.note,
                **self.extra,
                **discount,
            }
        )


def expected_discount_clean(value, currency: str) -> Decimal | None:
    """The discount the customer confirmed; none or zero means they expected none."""
    if value in (None, "") or str(value).strip() in ("0", "0.0", "0.00"):
        return None
    return parse_amount(value, currency, field="expected_discount")


def voucher_id_clean(voucher) -> int | None:
    if voucher in (None, ""):
        return None
    try:
        value = int(str(voucher).strip())
    except (TypeError, ValueError):
        value = 0
    if not 0 < value < 2**63:
        message = _("No such voucher.")
        raise ApplicationError(message, code="voucher_invalid", fields={"voucher": [message]})
    return value


def payment_prepare(
    *,
    payer_user,
    merchant_code: str,
    amount,
    currency,
    note: str = "",
    extra: dict | None = None,
    voucher=None,
) -> PaymentRequestData:
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    note = note_clean(note)
    voucher = voucher_id_clean(voucher)
    payer = wallet_get_or_create(user=payer_user)
    refuse_unless_active(payer, field="wallet", own=True)
    merchant = merchant_resolve(merchant_code)
    return PaymentRequestData(payer, merchant, amount, currency, note, extra or {}, voucher)


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
    voucher=None,
    expected_discount=None,
) -> MovementResult:
    """Pay a merchant (or a biller, with kind=bill and the bill reference in `extra`).

    `voucher` (an id) asks for that voucher's discount; without it a discount the merchant's
    campaign gives applies by itself. `expected_discount` is the discount the customer saw
    and confirmed: if less is available when posting (the budget ran out meanwhile), the payment
    is refused rather than charging more than they agreed to.
    """
    key = idempotency_key_clean(idempotency_key)
    request = payment_prepare(
        payer_user=payer_user,
        merchant_code=merchant_code,
        amount=amount,
        currency=currency,
        note=note,
        extra=extra,
        voucher=voucher,
    )
    expected_discount = expected_discount_clean(expected_discount, request.currency)
    fingerprint = request.fingerprint(expected_discount)
    discounts_apply = kind == Transaction.Kind.PAYMENT
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
        assessment = risk.risk_evaluate(
            user=payer_user,
            wallet=payer,
            kind="payment",
            amount=request.amount,
            currency=request.currency,
            payee=request.merchant.code,
        )
        # A merchant at the till cannot wait for a review: a hold refuses the payment.
        assessment.refuse_if_blocked(holdable=False)
        discount = (
            _discount_find(request=request, payer_user=payer_user, reserve=True)
            if discounts_apply
            else None
        )
        off = discount.amount if discount else Decimal("0")
        if expected_discount is not None and off < expected_discount:
            message = _(
                "The discount you saw is no longer available. Please check the amount and "
                "confirm again."
            )
            raise ApplicationError(
                message, code="discount_unavailable", fields={"voucher": [message]}
            )
        legs = [ledger.Leg(source, -(request.amount - off)), ledger.Leg(target, request.amount)]
        if off:
            legs.append(ledger.Leg(discount.account, -off))
        txn = ledger.post(
            kind=kind,
            legs=legs,
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
                **(_discount_metadata(request, discount) if off else {}),
            },
        )
        assessment.record(transaction_=txn)
        if off and discount.on_posted:
            discount.on_posted(txn)
        guard.after_posting(txn)
        budgets.budget_alerts_record(wallet=payer, category=request.merchant.category)
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        return txn

    return risk.recording_refusals(
        lambda: idempotent(
            user=payer_user,
            key=key,
            fingerprint=fingerprint,
            post=post,
            before=guard.before_posting,
        )
    )


def _discount_metadata(request, discount: Discount) -> dict:
    return {
        "gross_amount": str(request.amount),
        "discount": str(discount.amount),
        "discount_label": discount.label,
        **discount.metadata,
    }


def payment_amounts(txn: Transaction) -> dict:
    """What a payment was worth, what was taken off and what the customer was charged."""
    gross = Decimal(txn.metadata.get("gross_amount") or 0)
    off = Decimal(txn.metadata.get("discount") or 0)
    return {"amount": gross, "discount": off, "charged": gross - off}
