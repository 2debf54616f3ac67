"""Spending by category and monthly budgets, with an alert at 80% and at 100%."""

from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

from .. import events
from ..models import Budget, BudgetAlert, Entry, Merchant, Transaction, Wallet
from ..money import parse_amount
from ..periods import month_bounds
from .limits import in_cny

SPENDING_KINDS = (Transaction.Kind.PAYMENT, Transaction.Kind.BILL)
ALERT_THRESHOLDS = (80, 100)


def month_start(day: date | None = None) -> date:
    day = day or timezone.localdate()
    return day.replace(day=1)


def spending_by_category(wallet: Wallet, month: date) -> dict[str, Decimal]:
    """CNY spent at merchants and billers per category in `month` (other currencies at mid)."""
    start, end = month_bounds(month.year, month.month)
    rows = (
        Entry.objects.filter(
            account__wallet=wallet,
            amount__lt=0,
            transaction__kind__in=SPENDING_KINDS,
            transaction__created_at__gte=start,
            transaction__created_at__lt=end,
        )
        .annotate(category=KeyTextTransform("merchant_category", "transaction__metadata"))
        .values("category", "currency")
        .annotate(total=Sum("amount"))
    )
    totals: dict[str, Decimal] = {}
    for row in rows:
        category = row["category"] or Merchant.Category.OTHER
        totals[category] = totals.get(category, Decimal(0)) + in_cny(-row["total"], row["currency"])
    return totals


def budget_set(*, user, category: str, amount) -> Budget | None:
    """Set a category's monthly budget; an empty amount removes it."""
    if category not in Merchant.Category.values:
        message = _("Choose a category from the list.")
        raise ApplicationError(message, code="invalid_category", fields={"category": [message]})
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        raise ApplicationError(_("Activate your wallet first."), code="wallet_inactive")
    if amount in (None, ""):
        Budget.objects.filter(wallet=wallet, category=category).delete()
        return None
    amount = parse_amount(amount, "CNY")
    budget, _created = Budget.objects.update_or_create(
        wallet=wallet, category=category, defaults={"amount": amount}
    )
    return budget


def budget_alerts_record(*, wallet: Wallet, category: str) -> list[BudgetAlert]:
    """After a payment: record (once per month) each threshold its category has now crossed.

    Runs inside the payment's transaction; the alert event is delivered after commit.
    """
    budget = Budget.objects.filter(wallet=wallet, category=category).first()
    if budget is None:
        return []
    month = month_start()
    spent = spending_by_category(wallet, month).get(category, Decimal(0))
    created = []
    for threshold in ALERT_THRESHOLDS:
        if spent * 100 >= budget.amount * threshold:
            alert, is_new = BudgetAlert.objects.get_or_create(
                budget=budget, month=month, threshold=threshold, defaults={"spent": spent}
            )
            if is_new:
                created.append(alert)
                events.emit(events.BUDGET_THRESHOLD, budget_alert_id=alert.pk)
    return created
