"""The home-page card of support agents and leads: their open tickets (see home_cards.py)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from support.models_tickets import Ticket
from support.tickets import open_tickets_q

from . import home_cards
from .home_cards import Card, CardItem
from .roles import SUPPORT_AGENT, SUPPORT_LEAD

CARD_ROWS = 5


def my_tickets_card(user) -> Card:
    mine = (
        Ticket.objects.filter(open_tickets_q(), assignee=user)
        .order_by("-priority", "created_at", "pk")
        .only("reference", "subject", "priority", "state")[:CARD_ROWS]
    )
    items = [
        CardItem(
            text=ticket.subject,
            url=reverse("backoffice:support_ticket", kwargs={"reference": ticket.reference}),
            note=f"{ticket.get_priority_display()} · {ticket.get_state_display()}",
            urgent=ticket.priority >= Ticket.Priority.URGENT,
        )
        for ticket in mine
    ]
    return Card(
        key="support-my-tickets",
        title=_("My tickets"),
        items=items,
        empty_text=_("No open tickets are assigned to you."),
        link_url=reverse("backoffice:support_queue"),
        link_text=_("The ticket queue"),
        order=20,
    )


def register_cards() -> None:
    home_cards.register(SUPPORT_AGENT, my_tickets_card)
    home_cards.register(SUPPORT_LEAD, my_tickets_card)
