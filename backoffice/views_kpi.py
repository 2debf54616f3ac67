"""KPI dashboard pages: figures, charts with their data tables, and CSV downloads (issue 9).

Who sees what: branch managers their own branch (the branch filter is forced; another branch
answers 404), risk officers and campaign admins the whole bank; nobody else."""

from dataclasses import replace
from decimal import Decimal

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.csv_export import csv_response, csv_safe
from promotions.models import Campaign
from wallet.channel import APP, COUNTER, WEB
from wallet.models import Transaction

from .kpi.definitions import ACTIVATION_HOURS_CAP, CAMPAIGN_TABLE_HELP
from .kpi.figures import dashboard
from .kpi.filters import KpiFilterError, KpiFilters
from .models import Branch, StaffProfile
from .roles import BRANCH_MANAGER, CAMPAIGN_ADMIN, RISK_OFFICER
from .selectors import staff_branch_id, staff_roles
from .views import staff_required

WHOLE_BANK_ROLES = (RISK_OFFICER, CAMPAIGN_ADMIN)
CSV_SETS = (
    "figures",
    "breakdown",
    "cohorts",
    "onboardings",
    "growth",
    "active",
    "volume",
    "amount",
    "campaigns",
    "campaign_results",
)


def can_see_kpis(user) -> bool:
    roles = set(staff_roles(user))
    return user.is_authenticated and (
        user.is_superuser or bool(roles & {BRANCH_MANAGER, *WHOLE_BANK_ROLES})
    )


def _forced_branch(user) -> int | None:
    """The branch a manager is limited to; None for the whole bank. PermissionDenied if none."""
    if not can_see_kpis(user):
        raise PermissionDenied
    if user.is_superuser or set(staff_roles(user)) & set(WHOLE_BANK_ROLES):
        return None
    branch_id = staff_branch_id(user)
    if branch_id is None:
        raise PermissionDenied
    return branch_id


class KpiFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    grain = forms.ChoiceField(
        label=gettext_lazy("Group by"),
        required=False,
        choices=[
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )
    branch = forms.ChoiceField(label=gettext_lazy("Branch"), required=False)
    staff = forms.ChoiceField(label=gettext_lazy("Staff member"), required=False)
    campaign = forms.ChoiceField(label=gettext_lazy("Campaign"), required=False)
    channel = forms.ChoiceField(
        label=gettext_lazy("Channel"),
        required=False,
        choices=[
            ("", gettext_lazy("All channels")),
            (WEB, gettext_lazy("Web")),
            (APP, gettext_lazy("App (API)")),
            (COUNTER, gettext_lazy("Branch counter")),
        ],
    )

    def __init__(self, *args, branches, staff, campaigns, forced=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].choices = [] if forced else [("", _("All branches"))]
        self.fields["branch"].choices += [(str(b.pk), b.name) for b in branches]
        self.fields["staff"].choices = [("", _("All staff"))] + [
            (str(pk), name) for pk, name in staff.items()
        ]
        self.fields["campaign"].choices = [("", _("All campaigns"))] + [
            (str(c.pk), c.name) for c in campaigns
        ]


def _display(value, unit: str) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict):
        return (
            "; ".join(
                f"{cur} {number_format(v, 2, force_grouping=True)}" for cur, v in value.items()
            )
            or "—"
        )
    if unit == "ratio" and isinstance(value, Decimal):
        return f"{number_format(value * 100, 1)}%"
    if unit == "hours":
        return _hours_shown(value)
    if isinstance(value, Decimal):
        return number_format(value, 2, force_grouping=True)
    return number_format(value, force_grouping=True)


def _hours_shown(hours: int) -> str:
    """A time to activate: whole hours up to two days, then days to one decimal."""
    if hours >= ACTIVATION_HOURS_CAP:
        return _("%(days)s days or more") % {"days": ACTIVATION_HOURS_CAP // 24}
    if hours < 48:
        return _("%(hours)s h") % {"hours": hours}
    return _("%(days)s days") % {"days": number_format(Decimal(hours) / 24, 1)}


def _campaign_results(data, form) -> list[dict]:
    """The table per campaign, with the campaigns' names (from the filter's list)."""
    names = {value: name for value, name in form.fields["campaign"].choices if value}
    return [
        {
            **row,
            "name": names.get(str(row["campaign_id"]), f"#{row['campaign_id']}"),
            "cost_per_activation_shown": _display(row["cost_per_activation"], "money"),
            "cost_per_retained_shown": _display(row["cost_per_retained"], "money"),
        }
        for row in data["campaign_table"]
    ]


def _context(request):
    forced = _forced_branch(request.user)
    query = request.GET.copy()
    if forced is not None:
        asked = (query.get("branch") or "").strip()
        if asked and asked != str(forced):
            raise Http404
        query["branch"] = str(forced)
    errors = {}
    try:
        filters = KpiFilters.from_query(query)
    except KpiFilterError as error:
        errors = error.fields
        filters = KpiFilters.from_query({})
        if forced is not None:
            filters = replace(filters, branch_id=forced)
    branches = list(Branch.objects.filter(pk=forced) if forced else Branch.objects.all())
    staff_rows = StaffProfile.objects.select_related("user").order_by("user__full_name", "pk")
    if forced is not None:
        staff_rows = staff_rows.filter(branch_id=forced)
    staff = {row.user_id: row.user.get_full_name() for row in staff_rows}
    campaigns = list(Campaign.objects.only("pk", "name").order_by("-starts_at", "pk"))
    form = KpiFilterForm(
        query, branches=branches, staff=staff, campaigns=campaigns, forced=forced is not None
    )
    form.is_valid()
    for field, messages in errors.items():
        if field in form.fields and field not in form.errors:
            for message in messages:
                form.add_error(field, message)
    data = dashboard(filters)
    return filters, form, data, staff


def _charts(data):
    charts = []
    for key, chart in data["series"].items():
        rows = [
            [label, *(dataset["data"][i] for dataset in chart["datasets"])]
            for i, label in enumerate(chart["labels"])
        ]
        charts.append({"key": key, **chart, "rows": rows})
    return charts


@staff_required
def kpi_dashboard(request):
    filters, form, data, staff = _context(request)
    figures = [
        {
            **figure,
            "shown": _display(figure["value"], figure["unit"]),
            "shown_previous": _display(figure["previous"], figure["unit"]),
        }
        for figure in data["figures"]
    ]
    channel_names = dict(form.fields["channel"].choices)
    kind_names = dict(Transaction.Kind.choices)
    for row in data["breakdown"]:
        row["channel_name"] = channel_names.get(row["channel"], row["channel"])
        row["kind_name"] = kind_names.get(row["kind"], row["kind"])
    cohorts = [
        {
            **row,
            "rate_shown": _display(row["activation_rate"], "ratio"),
            "retention_shown": [_display(value, "ratio") for value in row["retention"]],
        }
        for row in data["cohorts"]
    ]
    onboardings = [
        {"name": staff.get(row["staff_id"], f"#{row['staff_id']}"), **row}
        for row in data["onboardings"]
    ]
    charts = _charts(data)
    return render(
        request,
        "backoffice/kpi/dashboard.html",
        {
            "form": form,
            "filters": filters,
            "figures": figures,
            "charts": charts,
            "chart_data": {
                c["key"]: {k: c[k] for k in ("type", "labels", "datasets")} for c in charts
            },
            "breakdown": data["breakdown"],
            "cohorts": cohorts,
            "onboardings": onboardings,
            "campaign_results": _campaign_results(data, form),
            "campaign_help": CAMPAIGN_TABLE_HELP,
            "query": _query(filters),
            "csv_sets": CSV_SETS,
            "weeks": range(1, len(cohorts[0]["retention"]) + 1) if cohorts else range(1, 5),
        },
    )


def _query(filters) -> str:
    from urllib.parse import urlencode

    return urlencode(filters.as_query())


@staff_required
def kpi_csv(request):
    filters, form, data, staff = _context(request)
    which = request.GET.get("set") or "figures"
    if which not in CSV_SETS:
        raise Http404
    response, writer = csv_response(f"kpi-{which}-{filters.start}-{filters.end}.csv")
    if which == "figures":
        writer.writerow([_("Figure"), _("Value"), _("Previous period"), _("Definition")])
        for figure in data["figures"]:
            writer.writerow(
                [
                    csv_safe(figure["label"]),
                    csv_safe(_display(figure["value"], figure["unit"])),
                    csv_safe(_display(figure["previous"], figure["unit"])),
                    csv_safe(figure["help"]),
                ]
            )
    elif which == "breakdown":
        writer.writerow([_("Kind"), _("Channel"), _("Currency"), _("Transactions"), _("Amount")])
        for row in data["breakdown"]:
            writer.writerow(
                [row["kind"], row["channel"], row["currency"], row["count"], row["amount"]]
            )
    elif which == "cohorts":
        writer.writerow(
            [_("Sign-up cohort"), _("Registrations"), _("Wallets activated"), _("Activation rate")]
            + [
                _("Week %(n)s") % {"n": i + 1}
                for i in range(len(data["cohorts"][0]["retention"]) if data["cohorts"] else 4)
            ]
        )
        for row in data["cohorts"]:
            writer.writerow(
                [row["cohort"], row["registered"], row["activated"], row["activation_rate"] or ""]
                + [value if value is not None else "" for value in row["retention"]]
            )
    elif which == "onboardings":
        writer.writerow([_("Staff member"), _("Onboardings")])
        for row in data["onboardings"]:
            writer.writerow(
                [csv_safe(staff.get(row["staff_id"], row["staff_id"])), row["onboardings"]]
            )
    elif which == "campaign_results":
        writer.writerow(
            [
                _("Campaign"),
                _("Cost (CNY)"),
                _("Customers reached"),
                _("Activations"),
                _("Cost per activation (CNY)"),
                _("Retained"),
                _("Cost per retained customer (CNY)"),
            ]
        )
        for row in _campaign_results(data, form):
            writer.writerow(
                [
                    csv_safe(row["name"]),
                    row["cost"],
                    row["reached"],
                    row["activated"],
                    row["cost_per_activation"] if row["cost_per_activation"] is not None else "",
                    row["retained"],
                    row["cost_per_retained"] if row["cost_per_retained"] is not None else "",
                ]
            )
    else:
        chart = data["series"][which]
        writer.writerow([_("Period"), *(csv_safe(d["label"]) for d in chart["datasets"])])
        for i, label in enumerate(chart["labels"]):
            writer.writerow([label, *(d["data"][i] for d in chart["datasets"])])
    return response
