"""Tickets in any state, made through the services (so their trail is what a real one has)."""

from datetime import timedelta

from django.utils import timezone

from support import tickets
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory


def ticket(
    customer=None,
    *,
    category=Ticket.Category.PAYMENT,
    subject="付款没有到账",
    message="我昨天转账给朋友，对方说没有收到。",
    **kwargs,
) -> Ticket:
    return tickets.ticket_create(
        customer=customer or UserFactory(),
        category=category,
        subject=subject,
        message=message,
        **kwargs,
    )


def resolved_ticket(agent, customer=None, *, days_ago: float = 0) -> Ticket:
    t = ticket(customer)
    tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已为您处理。", then="resolved")
    if days_ago:
        Ticket.objects.filter(pk=t.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    t.refresh_from_db()
    return t
