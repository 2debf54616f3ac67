"""The staff home card of experience mode (backoffice/home_cards.py registry)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from backoffice.home_cards import Card, CardItem
from backoffice.models import StaffProfile
from backoffice.roles import BRANCH_MANAGER
from backoffice.selectors import staff_roles

from .selectors import experience_starts, month_start

TEAM_ROWS = 8


def _demos(n: int) -> str:
    return ngettext("%(n)d demo this month", "%(n)d demos this month", n) % {"n": n}


def experience_card(user) -> Card:
    since = month_start()
    items = [
        CardItem(
            text=_("Start experience mode on this device"),
            url=reverse("experience_staff:start"),
        )
    ]
    if BRANCH_MANAGER in staff_roles(user):
        profile = StaffProfile.objects.filter(user=user).only("branch_id").first()
        branch_id = profile.branch_id if profile else None
        team = list(
            StaffProfile.objects.filter(branch_id=branch_id, user__is_active=True)
            .exclude(branch_id=None)
            .select_related("user")
            .order_by("user__full_name", "pk")[:TEAM_ROWS]
        )
        counts = {
            row["actor_id"]: row["started"]
            for row in experience_starts(
                staff_ids=[member.user_id for member in team], branch_id=branch_id, since=since
            )
        }
        items += [
            CardItem(text=member.user.get_full_name(), note=_demos(counts.get(member.user_id, 0)))
            for member in team
        ]
    else:
        mine = experience_starts(staff_ids=[user.pk], since=since).first()
        items[0].note = _demos(mine["started"] if mine else 0)
    return Card(
        key="experience",
        title=_("Experience mode (demo wallet)"),
        items=items,
        order=70,
    )
