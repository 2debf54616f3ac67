"""Satisfaction results for the support lead and campaign admins: CSAT, NPS and complaints per
10,000 customers by period (day, week, month in Asia/Shanghai), branch and channel, a CSV
export, and the results of each admin-built survey. Figures come from support/metrics.py (the
KPI dashboards call the same functions); each page runs a fixed number of queries. Nothing here
names a customer: answers are shown in aggregate, survey texts without their author."""

import csv
from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from support import metrics
from support.models_surveys import Survey

from .models import Branch
from .roles import CAMPAIGN_ADMIN, SUPPORT_LEAD
from .selectors import staff_roles
from .views import staff_required

RESULTS_ROLES = (SUPPORT_LEAD, CAMPAIGN_ADMIN)
DEFAULT_DAYS = 183
MAX_DAYS = 3 * 366


def can_see_results(user) -> bool:
    return user.is_superuser or any(role in RESULTS_ROLES for role in staff_roles(user))


def _require(user) -> None:
    if not can_see_results(user):
        raise PermissionDenied


class ResultsFilterForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=gettext_lazy("To (inclusive)"), widget=forms.DateInput(attrs={"type": "date"})
    )
    period = forms.ChoiceField(
        label=gettext_lazy("Per"),
        choices=[
            ("day", gettext_lazy("Day")),
            ("week", gettext_lazy("Week")),
            ("month", gettext_lazy("Month")),
        ],
    )
    branch = forms.ModelChoiceField(
        label=gettext_lazy("Branch"),
        queryset=Branch.objects.order_by("name"),
        required=False,
        empty_label=gettext_lazy("All branches"),
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end date comes before the start date."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choose at most three years."))
        return data


def _filters(request) -> tuple[ResultsFilterForm, dict]:
    today = timezone.localdate()
    defaults = {"start": today - timedelta(days=DEFAULT_DAYS), "end": today, "period": "month"}
    form = ResultsFilterForm(request.GET or None, initial=defaults)
    valid = bool(request.GET) and form.is_valid()
    chosen = form.cleaned_data if valid else {**defaults, "branch": None}
    return form, {
        "start": chosen["start"],
        "end": chosen["end"] + timedelta(days=1),  # the form's end day is included
        "period": chosen["period"],
        "branch": chosen.get("branch"),
    }


def _figures(f: dict) -> dict:
    start, end, branch = f["start"], f["end"], f["branch"]
    return {
        "csat": metrics.csat(start, end, branch=branch),
        "nps": metrics.nps(start, end, branch=branch),
        "complaints": metrics.complaints_per_10k(start, end, branch=branch),
        "by_period": metrics.satisfaction_by(start, end, by=f["period"], branch=branch),
        "by_branch": metrics.satisfaction_by(start, end, by="branch", branch=branch),
        "by_channel": metrics.satisfaction_by(start, end, by="channel", branch=branch),
    }


@staff_required
def survey_results(request):
    _require(request.user)
    form, f = _filters(request)
    return render(
        request,
        "backoffice/survey_results.html",
        {
            "form": form,
            "filters": f,
            "last_day": f["end"] - timedelta(days=1),
            "export_query": request.GET.urlencode(),
            "surveys": list(Survey.objects.order_by("-opens_at", "-pk")[:50]),
            **_figures(f),
        },
    )


def _number(value) -> str:
    return "" if value is None else str(value)


@staff_required
def survey_results_csv(request):
    _require(request.user)
    _form, f = _filters(request)
    figures = _figures(f)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="satisfaction.csv"'
    response["Cache-Control"] = "no-store, private"
    response.write("\ufeff")  # so spreadsheet programs read the Chinese labels as UTF-8
    writer = csv.writer(response)
    writer.writerow(["breakdown", "key", "label", "csat_answers", "csat", "nps_answers", "nps"])
    writer.writerow(["total", "", "", "", _number(figures["csat"]), "", _number(figures["nps"])])
    for name in ("by_period", "by_branch", "by_channel"):
        breakdown = f["period"] if name == "by_period" else name.removeprefix("by_")
        for row in figures[name]:
            writer.writerow(
                [
                    breakdown,
                    _number(row.key),
                    _csv_safe(row.label),
                    row.csat_answers,
                    _number(row.csat),
                    row.nps_answers,
                    _number(row.nps),
                ]
            )
    writer.writerow(["complaints_per_10k", "", "", "", "", "", _number(figures["complaints"])])
    return response


def _csv_safe(text: str) -> str:
    """No spreadsheet formula from a label (a branch name) opened in Excel."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@staff_required
def survey_detail_results(request, pk: int):
    _require(request.user)
    survey = Survey.objects.filter(pk=pk).first()
    if survey is None:
        raise Http404
    responses, questions = metrics.survey_results(survey)
    return render(
        request,
        "backoffice/survey_detail_results.html",
        {"survey": survey, "responses": responses, "questions": questions},
    )
