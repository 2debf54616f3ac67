"""The ledger's invariants, each a query that returns the rows breaking it."""

from dataclasses import dataclass

from django.db.models import Count, DecimalField, F, Q, Sum, Value
from django.db.models.functions import Coalesce

from .chain import chain_breaches
from .models import Entry, LedgerAccount, Transaction


@dataclass(frozen=True)
class Breach:
    invariant: str
    detail: str


def unbalanced_transactions():
    return (
        Entry.objects.values("transaction_id", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("transaction_id")
    )


def balances_not_matching_entries():
    return (
        LedgerAccount.objects.annotate(
            entries_total=Coalesce(
                Sum("entries__amount"),
                Value(0),
                output_field=DecimalField(max_digits=20, decimal_places=4),
            )
        )
        .exclude(balance=F("entries_total"))
        .order_by("pk")
    )


def forbidden_negative_balances():
    return (
        LedgerAccount.objects.filter(balance__lt=0)
        .exclude(kind__in=LedgerAccount.SYSTEM_KINDS)
        .order_by("pk")
    )


def transactions_with_too_few_entries():
    return Transaction.objects.annotate(legs=Count("entries")).filter(legs__lt=2).order_by("pk")


def entries_in_the_wrong_currency():
    return Entry.objects.exclude(currency=F("account__currency")).order_by("pk")


def duplicated_idempotency_keys():
    return (
        Transaction.objects.filter(~Q(idempotency_key=None))
        .values("initiated_by_id", "idempotency_key")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )


def ledger_breaches(*, include_chain: bool = True) -> list[Breach]:
    """Every invariant; with `include_chain`, also the hash chain (wallet/chain.py) in full."""
    breaches = invariant_breaches()
    if include_chain:
        breaches += [Breach(b.invariant, b.detail) for b in chain_breaches()]
    return breaches


def invariant_breaches() -> list[Breach]:
    breaches = [
        Breach(
            "entries sum to zero",
            f"transaction {r['transaction_id']} is off by {r['total']} {r['currency']}",
        )
        for r in unbalanced_transactions()
    ]
    breaches += [
        Breach(
            "balance equals entries",
            f"account {a.pk} holds {a.balance} but its entries sum to {a.entries_total}",
        )
        for a in balances_not_matching_entries()
    ]
    breaches += [
        Breach(
            "no forbidden negative balance",
            f"{a.get_kind_display()} account {a.pk} is at {a.balance} {a.currency}",
        )
        for a in forbidden_negative_balances()
    ]
    breaches += [
        Breach("two or more entries", f"transaction {t.pk} has {t.legs} entries")
        for t in transactions_with_too_few_entries()
    ]
    breaches += [
        Breach(
            "entry currency matches account",
            f"entry {e.pk} is {e.currency} on a {e.account.currency} account",
        )
        for e in entries_in_the_wrong_currency().select_related("account")
    ]
    breaches += [
        Breach(
            "one transaction per idempotency key",
            f"user {r['initiated_by_id']} key {r['idempotency_key']!r} has {r['n']} transactions",
        )
        for r in duplicated_idempotency_keys()
    ]
    return breaches
