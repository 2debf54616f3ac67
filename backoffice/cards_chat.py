"""The home-page card of support agents and leads: chats waiting and callbacks due (see
home_cards.py). Three queries whatever the numbers."""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from support import chat as chat_services

from . import home_cards
from .home_cards import Card, CardItem
from .roles import SUPPORT_AGENT, SUPPORT_LEAD


def chat_card(user) -> Card:
    waiting = chat_services.waiting_chats().count()
    due = chat_services.callbacks_due()
    overdue = due.filter(scheduled_for__lte=timezone.now()).count()
    pending = due.count()
    items = [
        CardItem(
            text=ngettext(
                "%(n)s customer waiting to chat", "%(n)s customers waiting to chat", waiting
            )
            % {"n": waiting},
            url=reverse("backoffice:chat_console"),
            urgent=waiting > 0,
        ),
        CardItem(
            text=ngettext("%(n)s callback booked", "%(n)s callbacks booked", pending)
            % {"n": pending},
            url=reverse("backoffice:callbacks"),
            note=ngettext("%(n)s due now", "%(n)s due now", overdue) % {"n": overdue},
            urgent=overdue > 0,
        ),
    ]
    return Card(
        key="support-chat",
        title=_("Live chat and callbacks"),
        items=items,
        link_url=reverse("backoffice:chat_console"),
        link_text=_("Live chat"),
        order=21,
    )


def register_cards() -> None:
    home_cards.register(SUPPORT_AGENT, chat_card)
    home_cards.register(SUPPORT_LEAD, chat_card)
