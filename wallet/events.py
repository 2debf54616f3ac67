"""Domain events the wallet emits after commit, so other apps react without the ledger
importing them (promotions rewards an activation; notifications alerts on a movement)."""

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

WALLET_ACTIVATED = "wallet.activated"
MONEY_MOVED = "wallet.money_moved"
BUDGET_THRESHOLD = "wallet.budget_threshold"
# A posted transaction was reversed: payload transaction_id (the original) and reversal_id.
TRANSACTION_REVERSED = "wallet.transaction_reversed"

_subscribers: dict[str, list[Callable]] = defaultdict(list)
# Called inside the emitting transaction: for subscribers that must write in it (an outbox
# row), so that the reaction is committed with the change or not at all.
_in_transaction: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str, handler: Callable, *, in_transaction: bool = False) -> None:
    registry = _in_transaction if in_transaction else _subscribers
    if handler not in registry[event]:
        registry[event].append(handler)


def unsubscribe(event: str, handler: Callable) -> None:
    for registry in (_subscribers, _in_transaction):
        if handler in registry[event]:
            registry[event].remove(handler)


def emit(event: str, **payload) -> None:
    """Call the in-transaction subscribers now, the others once the transaction commits."""
    for handler in list(_in_transaction[event]):
        handler(**payload)

    def deliver():
        for handler in list(_subscribers[event]):
            handler(**payload)

    transaction.on_commit(deliver)
