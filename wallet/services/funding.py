"""Money between a customer's bank and their wallet: top-ups and withdrawals through the bank
connector (accounts.bank), settled asynchronously.

The request writes a pending FundingOrder and an outbox row in one transaction; the outbox task
submits the order to the bank (idempotent by reference at the bank) and asks how it stands,
then applies the answer inside the outbox row's transaction, so it is applied exactly once:

- top-up: nothing moves until the bank settles; then bank clearing → wallet. Rejected: nothing.
- withdrawal: wallet → bank clearing at once (the money is no longer spendable); settled: done;
  rejected: a reversal posting gives it back.
"""

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.bank import REJECTION_REASONS, bank_connector
from accounts.models import LinkedAccount
from accounts.selectors import linked_accounts_of
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .. import events, ledger
from ..models import FundingOrder, LedgerAccount, Transaction, Wallet, new_funding_reference
from ..money import format_money, parse_amount, parse_currency
from ..risk import services as risk
from . import limits
from .common import (
    earlier_result,
    idempotency_key_clean,
    refuse_unless_active,
    request_fingerprint,
    system_account_ensure,
    wallet_account_ensure,
    wallet_get_or_create,
)

logger = logging.getLogger(__name__)

FUNDING_PROGRESS = "wallet.funding_progress"
FUNDING_OUTCOME_ALERT = "wallet.funding_outcome_alert"


class BankStillPending(Exception):
    """The bank has not decided yet: the outbox task is retried later."""


@dataclass(frozen=True)
class FundingResult:
    order: FundingOrder
    replayed: bool


@transaction.atomic(durable=True)
def wallet_fund_from_clearing(
    *,
    wallet: Wallet,
    amount: Decimal,
    currency: str,
    description: str,
    metadata: dict | None = None,
) -> Transaction:
    """Credit a wallet from the bank's clearing account at once: demo seeding."""
    currency = parse_currency(currency)
    amount = parse_amount(amount, currency)
    return _post_top_up(
        wallet=wallet,
        amount=amount,
        currency=currency,
        description=description,
        metadata=metadata or {},
    )


def _post_top_up(*, wallet, amount, currency, description, metadata, initiated_by=None):
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency=currency)
    target = wallet_account_ensure(wallet=wallet, currency=currency)
    txn = ledger.post(
        kind=Transaction.Kind.TOP_UP,
        legs=[ledger.Leg(clearing, -amount), ledger.Leg(target, amount)],
        initiated_by=initiated_by,
        description=description,
        metadata={**metadata, "to_wallet": wallet.handle},
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return txn


# --- requests ------------------------------------------------------------------------------


def _funding_currency(currency) -> str:
    currency = parse_currency(currency)
    if currency not in settings.FUNDING_CURRENCIES:
        message = _("Top-ups and withdrawals are in %(currencies)s only.") % {
            "currencies": ", ".join(settings.FUNDING_CURRENCIES)
        }
        raise ApplicationError(message, code="currency_not_funded", fields={"currency": [message]})
    return currency


def _source_for(*, user, source_id, withdrawal: bool) -> LinkedAccount:
    """The customer's own verified source, usable for this direction."""
    source = None
    if str(source_id or "").strip().isdigit():
        source = linked_accounts_of(user).filter(pk=int(source_id)).first()
    if source is None:
        message = _("Choose one of your linked cards or accounts.")
        raise ApplicationError(message, code="source_not_found", fields={"source": [message]})
    problem = ""
    if source.status != LinkedAccount.Status.VERIFIED:
        problem = _("Verify this card or account first.")
    elif withdrawal and not source.can_withdraw_to:
        problem = _("Money can be withdrawn to a debit card or a bank account, not a credit card.")
    elif source.expiry_year and (source.expiry_year, source.expiry_month) < (
        timezone.localdate().year,
        timezone.localdate().month,
    ):
        problem = _("This card has expired.")
    if problem:
        raise ApplicationError(problem, code="source_unusable", fields={"source": [problem]})
    return source


def _fingerprint(direction, source_id, amount, currency) -> str:
    return request_fingerprint(
        {"kind": direction, "source": str(source_id), "amount": str(amount), "currency": currency}
    )


def _earlier_order(*, user, key: str, fingerprint: str) -> FundingOrder | None:
    return earlier_result(user=user, key=key, fingerprint=fingerprint, model=FundingOrder)


def _once(*, user, key, fingerprint, create) -> FundingResult:
    """`create()` once per key: callers answer a replay before validating anything."""
    try:
        return FundingResult(create(), replayed=False)
    except IntegrityError:
        # The same key committed first in a concurrent request: answer with its order.
        earlier = _earlier_order(user=user, key=key, fingerprint=fingerprint)
        if earlier is None:
            raise
        return FundingResult(earlier, replayed=True)


def _progress_later(order: FundingOrder) -> None:
    outbox_enqueue(
        topic=FUNDING_PROGRESS,
        payload={"order_id": order.pk},
        dedupe_key=f"funding:{order.pk}",
    )


def topup_create(*, user, source_id, amount, currency, idempotency_key: str) -> FundingResult:
    """Ask the bank for money; the wallet is credited when the bank settles."""
    key = idempotency_key_clean(idempotency_key)
    currency = _funding_currency(currency)
    amount = parse_amount(amount, currency)
    fingerprint = _fingerprint(FundingOrder.Direction.TOP_UP, source_id, amount, currency)
    # A retried request gets its first answer, even if the card was removed since.
    earlier = _earlier_order(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return FundingResult(earlier, replayed=True)
    wallet = wallet_get_or_create(user=user)
    refuse_unless_active(wallet, field="wallet", own=True)
    source = _source_for(user=user, source_id=source_id, withdrawal=False)
    limits.top_up_limit_check(user=user, amount=amount, currency=currency)

    @transaction.atomic(durable=True)
    def create() -> FundingOrder:
        order = FundingOrder.objects.create(
            direction=FundingOrder.Direction.TOP_UP,
            wallet=wallet,
            source=source,
            amount=amount,
            currency=currency,
            initiated_by=user,
            idempotency_key=key,
            request_fingerprint=fingerprint,
        )
        _progress_later(order)
        return order

    return _once(user=user, key=key, fingerprint=fingerprint, create=create)


def withdrawal_create(*, user, source_id, amount, currency, idempotency_key: str) -> FundingResult:
    """Send money to the customer's bank: debited now, given back if the bank refuses."""
    key = idempotency_key_clean(idempotency_key)
    currency = _funding_currency(currency)
    amount = parse_amount(amount, currency)
    fingerprint = _fingerprint(FundingOrder.Direction.WITHDRAWAL, source_id, amount, currency)
    earlier = _earlier_order(user=user, key=key, fingerprint=fingerprint)
    if earlier is not None:
        return FundingResult(earlier, replayed=True)
    wallet = wallet_get_or_create(user=user)
    refuse_unless_active(wallet, field="wallet", own=True)
    source = _source_for(user=user, source_id=source_id, withdrawal=True)
    own = wallet_account_ensure(wallet=wallet, currency=currency)
    clearing = system_account_ensure(kind=LedgerAccount.Kind.BANK_CLEARING, currency=currency)

    @transaction.atomic(durable=True)
    def create() -> FundingOrder:
        locked = Wallet.objects.select_for_update().get(pk=wallet.pk)
        refuse_unless_active(locked, field="wallet", own=True)
        limits.limits_check(user=user, wallet=locked, amount=amount, currency=currency)
        assessment = risk.risk_evaluate(
            user=user, wallet=locked, kind="withdrawal", amount=amount, currency=currency
        )
        # Money leaving for another bank is not held: a hold refuses the withdrawal.
        assessment.refuse_if_blocked(holdable=False)
        reference = new_funding_reference()
        txn = ledger.post(
            kind=Transaction.Kind.WITHDRAWAL,
            status=Transaction.Status.PENDING,
            legs=[ledger.Leg(own, -amount), ledger.Leg(clearing, amount)],
            initiated_by=user,
            description=f"withdrawal to {source.label}",
            metadata={
                "from_wallet": wallet.handle,
                "bank_account": source.label,
                "funding_reference": reference,
            },
        )
        assessment.record(transaction_=txn)
        order = FundingOrder.objects.create(
            reference=reference,
            direction=FundingOrder.Direction.WITHDRAWAL,
            wallet=wallet,
            source=source,
            amount=amount,
            currency=currency,
            initiated_by=user,
            idempotency_key=key,
            request_fingerprint=fingerprint,
            transaction=txn,
        )
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
        _progress_later(order)
        return order

    return risk.recording_refusals(
        lambda: _once(user=user, key=key, fingerprint=fingerprint, create=create)
    )


# --- settlement (the outbox task) ------------------------------------------------------------


def funding_progress(*, order_id: int) -> None:
    """Submit the order to the bank, ask how it stands, and apply a final answer once.

    Runs outside any transaction (the bank may be slow: no lock is held while it answers), so a
    second run must be harmless: the bank dedupes by the order's reference, and the answer is
    applied under the order's row lock only while the order is still pending.
    """
    order = FundingOrder.objects.select_related("source").get(pk=order_id)
    if order.status != FundingOrder.Status.PENDING:
        return
    connector = bank_connector()
    submit = (
        connector.debit_request
        if order.direction == FundingOrder.Direction.TOP_UP
        else connector.credit_request
    )
    submit(
        token=order.source.token,
        amount=order.amount,
        currency=order.currency,
        reference=order.reference,
    )
    answer = connector.operation_status(reference=order.reference)
    if not answer.is_final:
        raise BankStillPending(order.reference)
    with transaction.atomic():
        order = (
            FundingOrder.objects.select_for_update(of=("self",))
            .select_related("source")
            .get(pk=order_id)
        )
        if order.status != FundingOrder.Status.PENDING:
            return  # another run applied it first
        if answer.state == "settled":
            _settle(order)
        else:
            _reject(order, answer.reason or "bank_declined")
    logger.info(
        "funding %s %s: %s %s", order.reference, order.direction, answer.state, answer.reason
    )


def _settle(order: FundingOrder) -> None:
    if order.direction == FundingOrder.Direction.TOP_UP:
        order.transaction = _post_top_up(
            wallet=order.wallet,
            amount=order.amount,
            currency=order.currency,
            description=f"top-up from {order.source.label}",
            metadata={"funding_reference": order.reference, "bank_account": order.source.label},
            initiated_by=order.initiated_by,
        )
    else:
        Transaction.objects.filter(pk=order.transaction_id).update(
            status=Transaction.Status.COMPLETED
        )
    order.status = FundingOrder.Status.COMPLETED
    order.decided_at = timezone.now()
    order.save(update_fields=["transaction", "status", "decided_at"])
    _outcome_alert_later(order)


def _reject(order: FundingOrder, reason: str) -> None:
    if order.direction == FundingOrder.Direction.WITHDRAWAL:
        original = Transaction.objects.get(pk=order.transaction_id)
        order.reversal = ledger.reverse(
            original=original, description=f"withdrawal {order.reference} rejected by the bank"
        )
        original.status = Transaction.Status.REJECTED
        original.save(update_fields=["status"])
        events.emit(events.MONEY_MOVED, transaction_id=order.reversal.pk)
    order.status = FundingOrder.Status.REJECTED
    order.rejection_reason = reason
    order.decided_at = timezone.now()
    order.save(update_fields=["reversal", "status", "rejection_reason", "decided_at"])
    _outcome_alert_later(order)


# --- what the customer is told -----------------------------------------------------------------


def rejection_reason_text(code: str) -> str:
    return str(REJECTION_REASONS.get(code, REJECTION_REASONS["bank_declined"]))


def _outcome_alert_later(order: FundingOrder) -> None:
    outbox_enqueue(
        topic=FUNDING_OUTCOME_ALERT,
        payload={"order_id": order.pk},
        dedupe_key=f"funding-outcome:{order.pk}",
    )


def funding_outcome_alert_send(*, order_id: int) -> None:
    order = FundingOrder.objects.select_related("source", "wallet__user").get(pk=order_id)
    values = {
        "amount": format_money(order.amount, order.currency),
        "source": order.source.label,
        "reason": rejection_reason_text(order.rejection_reason),
    }
    top_up = order.direction == FundingOrder.Direction.TOP_UP
    if order.status == FundingOrder.Status.COMPLETED and top_up:
        title = _("Top-up of %(amount)s received") % values
        body = _("%(amount)s from %(source)s is now in your wallet.") % values
    elif order.status == FundingOrder.Status.COMPLETED:
        title = _("Withdrawal of %(amount)s paid out") % values
        body = _("%(amount)s was paid to %(source)s.") % values
    elif top_up:
        title = _("Top-up of %(amount)s rejected") % values
        body = _("The bank rejected the top-up from %(source)s: %(reason)s Nothing was charged.")
        body %= values
    else:
        title = _("Withdrawal of %(amount)s rejected") % values
        body = _(
            "The bank rejected the withdrawal to %(source)s: %(reason)s The money is back in your wallet."
        )
        body %= values
    notify(
        user=order.wallet.user,
        kind=Notification.Kind.TRANSACTION,
        title=title,
        body=body,
        dedupe_key=f"funding-outcome:{order.pk}",
        link=reverse("wallet:funding_order", args=[order.reference]),
    )


def pending_orders_block_removal(source: LinkedAccount) -> list[str]:
    if FundingOrder.objects.filter(source=source, status=FundingOrder.Status.PENDING).exists():
        return [_("A top-up or withdrawal with this card or account is still pending.")]
    return []
