"""Pages of bank reconciliation in the staff portal (/backoffice/reconciliation/): the
exceptions queue, one exception (resolve with a reason, or ask for an adjustment under four
eyes) and the ops view. Desktop-first. They call backoffice.reconciliation; nothing here
moves money."""

from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from config.api_errors import ApplicationError, form_errors_from
from wallet.models import ReconciliationException
from wallet.services import reconciliation as wallet_reconciliation

from . import reconciliation
from .approvals import REASON_MAX
from .views import staff_required


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("State"),
        required=False,
        choices=[("", gettext_lazy("All")), *ReconciliationException.State.choices],
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All")), *ReconciliationException.Kind.choices],
    )
    since = forms.DateField(
        label=gettext_lazy("Statements from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ResolveForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is it resolved? (required, kept in the audit trail)"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdjustmentForm(forms.Form):
    adjustment_reason = forms.CharField(
        label=gettext_lazy("Why post an adjustment? (a second risk officer must approve it)"),
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _only_reconcilers(request) -> None:
    if not reconciliation.can_reconcile(request.user):
        raise PermissionDenied


@staff_required
def queue(request):
    _only_reconcilers(request)
    data = request.GET if request.GET else {"state": ReconciliationException.State.OPEN}
    form = QueueFilterForm(data)
    filters = form.cleaned_data if form.is_valid() else {"state": "open"}
    rows = reconciliation.exception_queue(
        state=filters.get("state") or "",
        kind=filters.get("kind") or "",
        since=filters.get("since"),
    )
    page = Paginator(rows, reconciliation.QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for exception in page.object_list:
        exception.age = reconciliation.age_days(exception.opened_at, now=now)
    query = urlencode({key: value for key, value in data.items() if key != "page" and value})
    return render(
        request,
        "backoffice/reconciliation/queue.html",
        {"form": form, "page": page, "query": query},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def exception_detail(request, pk: int):
    _only_reconcilers(request)
    exception = reconciliation.exception_get(pk)
    if exception is None:
        raise Http404
    step = request.POST.get("step") if request.method == "POST" else None
    resolve_form = ResolveForm(request.POST if step == "resolve" else None)
    adjust_form = AdjustmentForm(request.POST if step == "adjust" else None)
    if step == "resolve" and resolve_form.is_valid():
        try:
            reconciliation.exception_resolve(
                actor=request.user,
                exception_id=exception.pk,
                reason=resolve_form.cleaned_data["reason"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(resolve_form, error)
        else:
            messages.success(request, _("The exception is resolved."))
            return redirect("backoffice:reconciliation_exception", pk=exception.pk)
    elif step == "adjust" and adjust_form.is_valid():
        try:
            approval = reconciliation.adjustment_request(
                actor=request.user,
                exception_id=exception.pk,
                reason=adjust_form.cleaned_data["adjustment_reason"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(adjust_form, error)
        else:
            messages.success(
                request, _("Adjustment requested: a second risk officer must approve it.")
            )
            return redirect("backoffice:approval_detail", pk=approval.pk)
    elif step not in (None, "resolve", "adjust"):
        raise Http404
    return render(
        request,
        "backoffice/reconciliation/exception.html",
        {
            "exception": exception,
            "age": reconciliation.age_days(exception.opened_at),
            "adjustable": reconciliation.adjustable(exception),
            "bank_fee": wallet_reconciliation.is_bank_fee(exception),
            "resolve_form": resolve_form,
            "adjust_form": adjust_form,
        },
        status=400 if step and request.method == "POST" else 200,
    )


@staff_required
def ops(request):
    _only_reconcilers(request)
    return render(request, "backoffice/reconciliation/ops.html", reconciliation.ops_summary())
