"""The staff home page is a list of cards, each showing one kind of work waiting for the person.

A feature adds its card with `register(role, fn)`: `fn(user)` returns a Card, or None when it has
nothing to show. `role` is a role name from backoffice/roles.py, or ALL_STAFF for everyone. A card
function must run a fixed number of queries (the home page is asserted to), so load lists with
select_related/prefetch_related and cut them to a few rows.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from .selectors import staff_roles

ALL_STAFF = "*"


@dataclass
class CardItem:
    text: str
    url: str = ""
    note: str = ""  # a short second line: a date, a status
    urgent: bool = False


@dataclass
class Card:
    key: str  # unique per card, also its HTML id
    title: str
    items: list[CardItem] = field(default_factory=list)
    empty_text: str = ""  # shown when items is empty; a card with neither is left out
    link_url: str = ""
    link_text: str = ""
    order: int = 100  # lower first


_registry: list[tuple[str, Callable]] = []


def register(role: str, fn: Callable) -> Callable:
    """Show `fn`'s card to staff holding `role` (or everyone, ALL_STAFF). Usable as a decorator
    factory's inner call: register(TELLER, my_card). Registering the same pair twice is a no-op
    (apps' ready() may run more than once in tests)."""
    if (role, fn) not in _registry:
        _registry.append((role, fn))
    return fn


def cards_for(user) -> list[Card]:
    roles = set(staff_roles(user))
    wanted, seen = [], set()
    for role, fn in _registry:
        if (role == ALL_STAFF or role in roles or (user.is_superuser and role != ALL_STAFF)) and (
            fn not in seen
        ):
            seen.add(fn)
            wanted.append(fn)
    cards = [card for card in (fn(user) for fn in wanted) if card is not None]
    cards = [card for card in cards if card.items or card.empty_text]
    return sorted(cards, key=lambda card: (card.order, card.key))
