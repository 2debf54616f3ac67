"""The home-page cards of training and the audit trail (see home_cards.py)."""

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import home_cards
from .home_cards import Card, CardItem
from .models import AuditEvent
from .roles import BRANCH_MANAGER
from .training import team_training, training_due

CARD_ROWS = 5


def _date(value) -> str:
    return formats.date_format(timezone.localtime(value), "SHORT_DATE_FORMAT") if value else ""


def training_due_card(user) -> Card:
    due = training_due(user)
    items = [
        CardItem(
            text=status.course.localized("title"),
            url=reverse("backoffice:training_course", kwargs={"pk": status.course.pk}),
            note=(
                _("Overdue since %(date)s") % {"date": _date(status.due)}
                if status.overdue
                else (_("Due %(date)s") % {"date": _date(status.due)} if status.due else "")
            ),
            urgent=status.overdue,
        )
        for status in due[:CARD_ROWS]
    ]
    return Card(
        key="training-due",
        title=_("Training to do"),
        items=items,
        empty_text=_("All your training is done."),
        link_url=reverse("backoffice:training"),
        link_text=_("All my training"),
        order=50,
    )


def team_training_overdue_card(user) -> Card:
    items = []
    for row in team_training(user):
        for status in row.overdue:
            items.append(
                CardItem(
                    text=f"{row.member.get_full_name()} · {status.course.localized('title')}",
                    note=_("Overdue since %(date)s") % {"date": _date(status.due)},
                    urgent=True,
                )
            )
    return Card(
        key="team-training-overdue",
        title=_("Team training overdue"),
        items=items[:CARD_ROWS],
        empty_text=_("Nobody in your team is late with training."),
        link_url=reverse("backoffice:training_team"),
        link_text=_("Team training"),
        order=60,
    )


def my_recent_audit_card(user) -> Card:
    events = AuditEvent.objects.filter(actor=user).order_by("-created_at", "-pk")[:CARD_ROWS]
    return Card(
        key="my-audit",
        title=_("My recent actions (audit trail)"),
        items=[
            CardItem(
                text=event.get_action_display(),
                note=f"{formats.date_format(timezone.localtime(event.created_at), 'SHORT_DATETIME_FORMAT')}"
                f" · {event.get_outcome_display()}",
                urgent=event.outcome == AuditEvent.Outcome.REFUSED,
            )
            for event in events
        ],
        empty_text=_("Nothing recorded yet."),
        order=900,
    )


def register_cards() -> None:
    home_cards.register(home_cards.ALL_STAFF, training_due_card)
    home_cards.register(BRANCH_MANAGER, team_training_overdue_card)
    home_cards.register(home_cards.ALL_STAFF, my_recent_audit_card)
