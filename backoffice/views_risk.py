"""The risk officers' review queue, a case with its decisions, and the live monitor."""

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from config.api_errors import ApplicationError

from . import risk_review
from .risk_review import Decision, ReportDecision
from .views import staff_required


class CaseDecisionForm(forms.Form):
    DECISIONS = [
        (Decision.RELEASE, gettext_lazy("Release: send the payment")),
        (Decision.REJECT, gettext_lazy("Reject: return the money to the customer")),
        (Decision.ASK, gettext_lazy("Ask the customer to confirm")),
        (Decision.FREEZE, gettext_lazy("Freeze the wallet")),
        (Decision.NOTE, gettext_lazy("Only add the note")),
    ]
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DECISIONS)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Why: kept on the case and in the audit trail."),
    )


class ReportDecisionForm(forms.Form):
    DECISIONS = [
        (ReportDecision.CONFIRM, gettext_lazy("Close: fraud confirmed")),
        (ReportDecision.UNFOUNDED, gettext_lazy("Close: no fraud found")),
        (ReportDecision.FREEZE, gettext_lazy("Freeze the wallet (the report stays open)")),
    ]
    decision = forms.ChoiceField(label=gettext_lazy("Decision"), choices=DECISIONS)
    note = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Required to close: kept on the report, in the audit trail and as an internal note "
            "on the ticket. To give money back, ask for a reversal from the customer's page "
            "(four eyes)."
        ),
    )


@staff_required
def risk_queue(request):
    risk_review._require(request.user)
    page = Paginator(risk_review.open_cases(), risk_review.QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "backoffice/risk/queue.html",
        {
            "page": page,
            "rows": risk_review.case_rows(page.object_list),
            "reports": list(risk_review.open_reports()[: risk_review.QUEUE_PAGE_SIZE]),
            "now": timezone.now(),
        },
    )


@staff_required
def risk_report(request, pk: int):
    context = risk_review.report_open(actor=request.user, pk=pk, request=request)
    context["form"] = ReportDecisionForm()
    return render(request, "backoffice/risk/report.html", context)


@staff_required
@require_POST
def risk_report_decide(request, pk: int):
    risk_review._require(request.user)
    form = ReportDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("backoffice:risk_report", pk=pk)
    decision = form.cleaned_data["decision"]
    try:
        risk_review.report_decide(
            actor=request.user,
            pk=pk,
            decision=decision,
            note=form.cleaned_data["note"],
            request=request,
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("backoffice:risk_report", pk=pk)
    if decision == ReportDecision.FREEZE:
        messages.success(request, _("The wallet is frozen."))
        return redirect("backoffice:risk_report", pk=pk)
    messages.success(request, _("The report is closed."))
    return redirect("backoffice:risk_queue")


@staff_required
def risk_case(request, pk: int):
    context = risk_review.case_open(actor=request.user, pk=pk, request=request)
    context["form"] = CaseDecisionForm()
    return render(request, "backoffice/risk/case.html", context)


@staff_required
@require_POST
def risk_case_decide(request, pk: int):
    risk_review._require(request.user)
    form = CaseDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a decision."))
        return redirect("backoffice:risk_case", pk=pk)
    decision = form.cleaned_data["decision"]
    try:
        risk_review.case_decide(
            actor=request.user,
            pk=pk,
            decision=decision,
            note=form.cleaned_data["note"],
            request=request,
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("backoffice:risk_case", pk=pk)
    done = {
        Decision.RELEASE: _("Released: the payment was sent."),
        Decision.REJECT: _("Rejected: the money is back in the customer's wallet."),
        Decision.ASK: _("The customer was asked to confirm."),
        Decision.FREEZE: _("The wallet is frozen."),
        Decision.NOTE: _("Note added."),
    }
    messages.success(request, done[decision])
    if decision in (Decision.RELEASE, Decision.REJECT):
        return redirect("backoffice:risk_queue")
    return redirect("backoffice:risk_case", pk=pk)


@staff_required
def risk_monitor(request):
    risk_review._require(request.user)
    context = {"figures": risk_review.monitor_figures()}
    if request.htmx:
        return render(request, "backoffice/risk/monitor_live.html", context)
    return render(request, "backoffice/risk/monitor.html", context)
