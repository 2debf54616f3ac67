"""What the wallet tells its customers: an alert for every movement on their balance, and
budget alerts. Queued through the notifications outbox inside the posting transaction."""

from django.urls import reverse
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler

from . import events
from .models import BudgetAlert, Entry, Transaction
from .money import format_money
from .selectors import counterparty_label

TRANSACTION_ALERT = "wallet.transaction_alert"
BUDGET_ALERT = "wallet.budget_alert"


def queue_transaction_alert(*, transaction_id: int) -> None:
    outbox_enqueue(
        topic=TRANSACTION_ALERT,
        payload={"transaction_id": transaction_id},
        dedupe_key=f"txn-alert:{transaction_id}",
    )


def queue_budget_alert(*, budget_alert_id: int) -> None:
    outbox_enqueue(
        topic=BUDGET_ALERT,
        payload={"budget_alert_id": budget_alert_id},
        dedupe_key=f"budget-alert:{budget_alert_id}",
    )


def send_transaction_alerts(*, transaction_id: int) -> None:
    """One alert per customer balance the transaction touched: amount, who, balance after."""
    txn = Transaction.objects.get(pk=transaction_id)
    entries = Entry.objects.filter(transaction=txn, account__wallet__isnull=False).select_related(
        "account__wallet__user", "transaction"
    )
    for entry in entries:
        direction = _("Money in") if entry.amount > 0 else _("Money out")
        who = counterparty_label(entry)
        balance = entry.balance_after
        body = _("%(kind)s %(amount)s%(who)s. Balance: %(balance)s.") % {
            "kind": txn.get_kind_display(),
            "amount": format_money(abs(entry.amount), entry.currency),
            "who": f" · {who}" if who else "",
            "balance": format_money(balance, entry.currency) if balance is not None else "-",
        }
        notify(
            user=entry.account.wallet.user,
            kind=Notification.Kind.TRANSACTION,
            title=f"{direction}: {format_money(abs(entry.amount), entry.currency)}",
            body=body,
            dedupe_key=f"txn:{txn.pk}:{entry.account_id}",
            link=reverse("wallet:transaction", args=[txn.pk]),
        )


def send_budget_alert(*, budget_alert_id: int) -> None:
    alert = BudgetAlert.objects.select_related("budget__wallet__user").get(pk=budget_alert_id)
    budget = alert.budget
    notify(
        user=budget.wallet.user,
        kind=Notification.Kind.BUDGET,
        title=_("Budget: %(percent)d%% used") % {"percent": alert.threshold},
        body=_("You have spent %(spent)s of your %(budget)s %(category)s budget this month.")
        % {
            "spent": format_money(alert.spent, "CNY"),
            "budget": format_money(budget.amount, "CNY"),
            "category": budget.get_category_display(),
        },
        dedupe_key=f"budget:{alert.pk}",
        link=reverse("wallet:spending"),
    )


def connect() -> None:
    events.subscribe(events.MONEY_MOVED, queue_transaction_alert, in_transaction=True)
    events.subscribe(events.BUDGET_THRESHOLD, queue_budget_alert, in_transaction=True)
    register_handler(TRANSACTION_ALERT, send_transaction_alerts)
    register_handler(BUDGET_ALERT, send_budget_alert)

    from accounts.linking import register_removal_blocker

    from .services import funding

    register_handler(funding.FUNDING_PROGRESS, funding.funding_progress, in_row_transaction=False)
    register_handler(funding.FUNDING_OUTCOME_ALERT, funding.funding_outcome_alert_send)
    register_removal_blocker(funding.pending_orders_block_removal)
