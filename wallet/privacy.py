"""What the wallet adds to a customer's data export and to closing their account.

Plugged into accounts' registries from WalletConfig.ready(): accounts never imports the wallet.
"""

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.closure import closure_refused
from accounts.data_export import iso

from .models import Budget, Entry, FundingOrder, PaymentRequest, Transaction, Wallet
from .money import quantize
from .selectors import counterparty_label

UNSETTLED = (Transaction.Status.PENDING, Transaction.Status.HELD)


def _amount(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else str(quantize(value, currency))


def _balances(wallet: Wallet) -> dict[str, Decimal]:
    """Per currency, summed over the wallet's accounts (one query)."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for currency, balance in wallet.accounts.values_list("currency", "balance"):
        totals[currency] += balance
    return dict(sorted(totals.items()))


def wallet_export(user) -> dict:
    """The wallet, its balances, every movement on them, payment requests and budgets."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        return {
            "wallet": None,
            "balances": [],
            "transactions": [],
            "payment_requests": [],
            "top_ups_and_withdrawals": [],
            "budgets": [],
        }
    entries = (
        Entry.objects.filter(account__wallet=wallet)
        .select_related("transaction")
        .order_by("transaction__created_at", "transaction_id", "pk")
    )
    return {
        "wallet": {
            "handle": wallet.handle,
            "status": wallet.status,
            "created_at": iso(wallet.created_at),
            "activated_at": iso(wallet.activated_at),
        },
        "balances": [
            {"currency": currency, "balance": _amount(balance, currency)}
            for currency, balance in _balances(wallet).items()
        ],
        "transactions": [
            {
                "id": entry.transaction_id,
                "at": iso(entry.transaction.created_at),
                "kind": entry.transaction.kind,
                "status": entry.transaction.status,
                "amount": _amount(entry.amount, entry.currency),
                "currency": entry.currency,
                "balance_after": _amount(entry.balance_after, entry.currency),
                "counterparty": counterparty_label(entry),  # masked: it is someone else
                "note": entry.transaction.note,
                "reverses": entry.transaction.reverses_id,
            }
            for entry in entries
        ],
        "payment_requests": [
            {
                "amount": _amount(request.amount, request.currency),
                "currency": request.currency,
                "note": request.note,
                "status": request.effective_status,
                "created_at": iso(request.created_at),
                "expires_at": iso(request.expires_at),
                "paid_by_transaction": request.paid_by_id,
            }
            for request in PaymentRequest.objects.filter(requester=wallet).order_by(
                "created_at", "pk"
            )
        ],
        "top_ups_and_withdrawals": [
            {
                "reference": order.reference,
                "direction": order.direction,
                "status": order.status,
                "amount": _amount(order.amount, order.currency),
                "currency": order.currency,
                "card_or_account": order.source.label,
                "rejection_reason": order.rejection_reason,
                "transaction": order.transaction_id,
                "reversal": order.reversal_id,
                "created_at": iso(order.created_at),
                "decided_at": iso(order.decided_at),
            }
            for order in FundingOrder.objects.filter(wallet=wallet)
            .select_related("source")
            .order_by("created_at", "pk")
        ],
        "budgets": [
            {"category": category, "amount": _amount(amount, "CNY"), "currency": "CNY"}
            for category, amount in Budget.objects.filter(wallet=wallet)
            .order_by("category")
            .values_list("category", "amount")
        ],
    }


def wallet_closure_blockers(user) -> list[str]:
    """Money still in the wallet, or still on its way: the account cannot close over it."""
    wallet = Wallet.objects.filter(user=user).first()
    if wallet is None:
        return []
    reasons = []
    if wallet.status == Wallet.Status.FROZEN:
        reasons.append(
            _("Your wallet is frozen: please contact us or visit a branch to close your account.")
        )
    for currency, balance in _balances(wallet).items():
        if balance:
            reasons.append(
                _("Your %(currency)s balance is %(amount)s: withdraw or spend it first.")
                % {"currency": currency, "amount": _amount(balance, currency)}
            )
    unsettled = (
        Transaction.objects.filter(entries__account__wallet=wallet, status__in=UNSETTLED)
        .values("pk")
        .distinct()
        .count()
    )
    if FundingOrder.objects.filter(wallet=wallet, status=FundingOrder.Status.PENDING).exists():
        reasons.append(_("A top-up or withdrawal is waiting for your bank: wait for its answer."))
    if unsettled:
        reasons.append(
            ngettext(
                "%(count)d transaction is still pending or held for review: wait until it is settled.",
                "%(count)d transactions are still pending or held for review: wait until they are settled.",
                unsettled,
            )
            % {"count": unsettled}
        )
    return reasons


def wallet_close(user) -> None:
    """Inside the closing transaction: lock the wallet, check again, close it.

    Transfers and payments lock the wallet row before posting and re-read its status, so once
    this holds the lock no money can arrive or leave, and after it commits none ever will.
    """
    wallet = Wallet.objects.select_for_update().filter(user=user).first()
    if wallet is None:
        return
    reasons = wallet_closure_blockers(user)
    if reasons:
        raise closure_refused(reasons)
    wallet.status = Wallet.Status.CLOSED
    wallet.save(update_fields=["status"])
    PaymentRequest.objects.filter(requester=wallet, status=PaymentRequest.Status.OPEN).update(
        status=PaymentRequest.Status.CANCELLED
    )


def connect() -> None:
    from accounts.closure import register_closure_action, register_closure_blocker
    from accounts.data_export import register_export_section

    register_export_section("wallet", wallet_export)
    register_closure_blocker(wallet_closure_blockers)
    register_closure_action(wallet_close)
