"""SLA attainment in the staff portal: the share of ticket clocks met, per agent and for the
team, over a period, with a CSV download. Support leads see everyone; an agent sees their own
row only. The numbers come from support.sla.attainment (the KPI dashboards read the same)."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from config.csv_export import csv_response, csv_safe
from support import sla, tickets
from support.forms_tickets import SlaPeriodForm
from support.models_sla import SlaClock

from .roles import SUPPORT_LEAD
from .selectors import staff_roles
from .views import staff_required

DEFAULT_DAYS = 30


@staff_required
def support_sla(request):
    if not tickets.is_support_staff(request.user):
        raise PermissionDenied
    lead = request.user.is_superuser or SUPPORT_LEAD in staff_roles(request.user)
    today = timezone.localdate()
    initial = {"start": today - timedelta(days=DEFAULT_DAYS - 1), "end": today}
    form = SlaPeriodForm(request.GET or initial)
    valid = form.is_valid()
    start, end = (
        (form.cleaned_data["start"], form.cleaned_data["end"])
        if valid
        else (initial["start"], initial["end"])
    )
    only = None if lead else request.user
    rows = sla.attainment_by_agent(start, end, agent=only)
    team = sla.attainment(start, end, agent=only)
    if request.GET.get("download") == "csv" and valid:
        return _csv(rows, team, start, end, lead=lead)
    return render(
        request,
        "backoffice/support_sla.html",
        {
            "form": form,
            "rows": rows,
            "team": team,
            "by_kind": [(SlaClock.Kind(k).label, v) for k, v in team["by_kind"].items()],
            "lead": lead,
            # Leads keep the calendar: they are told when a year's holidays are missing.
            "calendar_warnings": sla.holiday_warnings() if lead else [],
            "start": start,
            "end": end,
            "query": f"start={start.isoformat()}&end={end.isoformat()}",
        },
        status=200 if valid or not request.GET else 400,
    )


def _csv(rows, team, start, end, *, lead):
    response, writer = csv_response(f"sla-attainment-{start}-{end}.csv")
    writer.writerow([_("Agent"), _("Clocks"), _("Met"), _("Breached"), _("Attainment (%)")])
    for row in rows:
        writer.writerow(
            [
                csv_safe(row["name"] or _("Unassigned")),
                row["total"],
                row["met"],
                row["breached"],
                "" if row["rate"] is None else row["rate"],
            ]
        )
    writer.writerow(
        [
            _("Team") if lead else _("Total"),
            team["total"],
            team["met"],
            team["breached"],
            "" if team["rate"] is None else team["rate"],
        ]
    )
    return response
