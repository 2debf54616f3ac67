"""Domain events the wallet emits after commit, so other apps react without the ledger
importing them (promotions rewards an activation; notifications alerts on a movement)."""

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

WALLET_ACTIVATED = "wallet.activated"
MONEY_MOVED = "wallet.money_moved"
BUDGET_THRESHOLD = "wallet.budget_threshold"

_subscribers: dict[str, list[Callable]] = defaultdict(list)


def subscribe(event: str, handler: Callable) -> None:
    if handler not in _subscribers[event]:
        _subscribers[event].append(handler)


def unsubscribe(event: str, handler: Callable) -> None:
    if handler in _subscribers[event]:
        _subscribers[event].remove(handler)


def emit(event: str, **payload) -> None:
    """Call each subscriber once the current database transaction has committed."""

    def deliver():
        for handler in list(_subscribers[event]):
            handler(**payload)

    transaction.on_commit(deliver)
