"""Reads of the wallet used by pages and the API alike."""

from datetime import datetime, time
from decimal import Decimal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import (
    Budget,
    BudgetAlert,
    Entry,
    FundingOrder,
    FxRate,
    LedgerAccount,
    PaymentRequest,
    Transaction,
    Wallet,
)


def wallet_for(user) -> Wallet | None:
    return Wallet.objects.filter(user=user).first()


def wallet_balances(wallet: Wallet | None) -> list[LedgerAccount]:
    if wallet is None:
        return []
    return list(wallet.accounts.order_by("currency", "shard"))


def history_entries(
    *, wallet: Wallet | None, currency=None, kind=None, date_from=None, date_to=None, text=None
) -> QuerySet[Entry]:
    """The movements on a wallet's balances, newest first, as seen by its owner."""
    if wallet is None:
        return Entry.objects.none()
    entries = (
        Entry.objects.filter(account__wallet=wallet)
        .select_related("transaction")
        .order_by("-transaction__created_at", "-transaction_id", "-pk")
    )
    if currency:
        entries = entries.filter(currency=currency)
    if kind:
        entries = entries.filter(transaction__kind=kind)
    tz = timezone.get_current_timezone()
    if date_from:
        entries = entries.filter(
            transaction__created_at__gte=datetime.combine(date_from, time.min, tz)
        )
    if date_to:
        entries = entries.filter(
            transaction__created_at__lte=datetime.combine(date_to, time.max, tz)
        )
    if text:
        entries = entries.filter(
            Q(transaction__note__icontains=text)
            | Q(transaction__description__icontains=text)
            | Q(transaction__metadata__from_name__icontains=text)
            | Q(transaction__metadata__to_name__icontains=text)
        )
    return entries


def counterparty_label(entry: Entry) -> str:
    """Who was on the other side, masked, from the owner's point of view."""
    txn: Transaction = entry.transaction
    meta = txn.metadata or {}
    if txn.kind == Transaction.Kind.TOP_UP:
        return _("Bank account")
    if txn.kind == Transaction.Kind.WITHDRAWAL:
        return _("Bank account")
    if txn.kind in (Transaction.Kind.CASH_IN, Transaction.Kind.CASH_OUT):
        return _("Cash at %(branch)s") % {"branch": meta.get("branch_name", "")}
    if entry.amount < 0:
        return meta.get("to_name") or meta.get("merchant_name") or ""
    return meta.get("from_name") or ""


def payment_requests_of(wallet: Wallet | None) -> QuerySet[PaymentRequest]:
    if wallet is None:
        return PaymentRequest.objects.none()
    return PaymentRequest.objects.filter(requester=wallet).order_by("-created_at")


BOARD_RATE_PLACES = Decimal("0.0001")


def fx_board() -> list[dict]:
    """The rates a customer sees: mid, and what they pay or get per unit in CNY."""
    board = []
    for rate in FxRate.objects.filter(is_active=True).order_by("currency"):
        spread = Decimal(rate.spread_bps) / Decimal(10000)
        board.append(
            {
                "currency": rate.currency,
                "mid_cny_per_unit": str(rate.cny_per_unit),
                "customer_buys_at": str(
                    (rate.cny_per_unit * (1 + spread)).quantize(BOARD_RATE_PLACES)
                ),
                "customer_sells_at": str(
                    (rate.cny_per_unit * (1 - spread)).quantize(BOARD_RATE_PLACES)
                ),
                "updated_at": rate.updated_at,
            }
        )
    return board


def statement_months(wallet: Wallet | None, limit: int = 12) -> list[tuple[int, int]]:
    """(year, month) with activity, newest first, plus the current month."""
    now = timezone.localtime()
    months = {(now.year, now.month)}
    if wallet is not None:
        dates = (
            Transaction.objects.filter(entries__account__wallet=wallet)
            .datetimes("created_at", "month", order="DESC", tzinfo=timezone.get_current_timezone())
            .distinct()[:limit]
        )
        months |= {(d.year, d.month) for d in dates}
    return sorted(months, reverse=True)[:limit]


def receipt_summary(txn: Transaction) -> dict:
    """What the public verification page may show: no names beyond the masked ones."""
    entries = list(txn.entries.select_related("account"))
    customer = [e for e in entries if e.account.wallet_id]
    shown = next((e for e in customer if e.amount < 0), customer[0] if customer else entries[0])
    meta = txn.metadata or {}
    return {
        "reference": txn.pk,
        "kind": txn.get_kind_display(),
        "status": txn.get_status_display(),
        "amount": abs(shown.amount),
        "currency": shown.currency,
        "created_at": txn.created_at,
        "from_name": meta.get("from_name", ""),
        "to_name": meta.get("to_name", ""),
    }


def budgets_of(wallet: Wallet | None) -> list[Budget]:
    return list(Budget.objects.filter(wallet=wallet)) if wallet else []


def budget_alerts_of(wallet: Wallet | None, month) -> list[BudgetAlert]:
    if wallet is None:
        return []
    return list(
        BudgetAlert.objects.filter(budget__wallet=wallet, month=month).select_related("budget")
    )


def recent_months(count: int) -> list:
    today = timezone.localdate().replace(day=1)
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(today.replace(year=year, month=month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


def funding_orders_of(user, *, direction: str | None = None):
    orders = FundingOrder.objects.filter(initiated_by=user).select_related("source")
    return orders.filter(direction=direction) if direction else orders
