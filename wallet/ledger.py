"""Posting: the only code that changes a balance.

Every movement is one Transaction whose entries sum to zero per currency. The accounts touched
are locked in one fixed order (by primary key) so concurrent postings neither deadlock nor
overdraw; customer and merchant accounts are checked here and, as the last line of defence,
by a CHECK constraint in the database.

Lock order, everywhere: the business row a flow is about (a payment request, a quote, a
step-up challenge), then wallet rows by primary key, then ledger accounts by primary key.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction as db_transaction
from django.db.models import F
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .channel import current_channel
from .models import Entry, LedgerAccount, Transaction
from .money import quantize


@dataclass(frozen=True)
class Leg:
    account: LedgerAccount
    amount: Decimal  # positive credits the account, negative debits it


class InsufficientFunds(ApplicationError):
    default_code = "insufficient_funds"


class UnbalancedPosting(Exception):
    """A programming error: the legs given do not sum to zero. Never shown to a customer."""


def lock_accounts(account_ids) -> dict[int, LedgerAccount]:
    """Lock the accounts in primary-key order; every balance change goes through here."""
    accounts = (
        LedgerAccount.objects.filter(pk__in=set(account_ids))
        .order_by("pk")
        .select_for_update(of=("self",))
    )
    return {account.pk: account for account in accounts}


def _check_legs(legs: list[Leg]) -> None:
    if len(legs) < 2:
        raise UnbalancedPosting("A transaction needs at least two entries.")
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for leg in legs:
        if leg.amount == 0:
            raise UnbalancedPosting("An entry cannot be zero.")
        if quantize(leg.amount, leg.account.currency) != leg.amount:
            raise UnbalancedPosting(f"{leg.amount} is finer than {leg.account.currency} allows.")
        totals[leg.account.currency] += leg.amount
    unbalanced = {currency: total for currency, total in totals.items() if total != 0}
    if unbalanced:
        raise UnbalancedPosting(f"Entries do not sum to zero: {unbalanced}")


def post(
    *,
    kind: str,
    legs: list[Leg],
    status: str = Transaction.Status.COMPLETED,
    initiated_by=None,
    idempotency_key: str | None = None,
    request_fingerprint: str = "",
    description: str = "",
    note: str = "",
    metadata: dict | None = None,
    reverses: Transaction | None = None,
) -> Transaction:
    """Record a balanced transaction and apply it to the balances. Call inside a transaction."""
    if not db_transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger.post must run inside transaction.atomic().")
    _check_legs(legs)

    deltas: dict[int, Decimal] = defaultdict(Decimal)
    for leg in legs:
        deltas[leg.account.pk] += leg.amount
    locked = lock_accounts(deltas)
    for account_id, delta in deltas.items():
        account = locked[account_id]
        if delta < 0 and not account.may_go_negative and account.balance + delta < 0:
            raise InsufficientFunds(
                _("Not enough money in your %(currency)s balance.")
                % {"currency": account.currency},
                fields={"amount": [_("This is more than your available balance.")]},
            )

    metadata = dict(metadata or {})
    channel = current_channel.get()
    if channel and "channel" not in metadata:  # recorded once, before sealing (wallet/channel.py)
        metadata["channel"] = channel
    txn = Transaction.objects.create(
        kind=kind,
        status=status,
        initiated_by=initiated_by,
        idempotency_key=idempotency_key,
        request_fingerprint=request_fingerprint,
        description=description,
        note=note,
        metadata=metadata,
        reverses=reverses,
    )
    running = {account_id: locked[account_id].balance for account_id in deltas}
    entries = []
    for leg in legs:
        running[leg.account.pk] += leg.amount
        entries.append(
            Entry(
                transaction=txn,
                account_id=leg.account.pk,
                amount=leg.amount,
                currency=leg.account.currency,
                balance_after=running[leg.account.pk],
            )
        )
    Entry.objects.bulk_create(entries)
    for account_id, delta in deltas.items():
        if delta:
            LedgerAccount.objects.filter(pk=account_id).update(balance=F("balance") + delta)
    return txn


def reverse(*, original: Transaction, initiated_by=None, description: str = "") -> Transaction:
    """A new transaction that undoes `original` entry by entry. Call inside a transaction."""
    if Transaction.objects.filter(reverses=original).exists():
        raise ApplicationError(
            _("This transaction has already been reversed."), code="already_reversed"
        )
    legs = [
        Leg(account=e.account, amount=-e.amount) for e in original.entries.select_related("account")
    ]
    return post(
        kind=Transaction.Kind.REVERSAL,
        legs=legs,
        initiated_by=initiated_by,
        description=description or f"Reversal of #{original.pk}",
        metadata={"reverses": original.pk, **original.metadata},
        reverses=original,
    )
