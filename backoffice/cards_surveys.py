"""The home-page card of support leads and campaign admins: CSAT and NPS of the last 30 days,
with a link to the satisfaction results (see home_cards.py). Two queries."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from support import metrics

from . import home_cards
from .home_cards import Card, CardItem
from .roles import CAMPAIGN_ADMIN, SUPPORT_LEAD


def satisfaction_card(user) -> Card:
    end = timezone.now()
    start = end - timedelta(days=30)
    csat, nps = metrics.csat(start, end), metrics.nps(start, end)
    return Card(
        key="satisfaction",
        title=_("Satisfaction, last 30 days"),
        items=[
            CardItem(text=_("CSAT"), note="—" if csat is None else f"{csat}%"),
            CardItem(text=_("NPS"), note="—" if nps is None else str(nps)),
        ],
        link_url=reverse("backoffice:survey_results"),
        link_text=_("Satisfaction results"),
        order=40,
    )


def register_cards() -> None:
    home_cards.register(SUPPORT_LEAD, satisfaction_card)
    home_cards.register(CAMPAIGN_ADMIN, satisfaction_card)
