import csv
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.masking import display_name_masked

from . import services
from .forms import AuditFilterForm, CustomerSearchForm, ViewReasonForm
from .models import StaffProfile
from .roles import ROLE_LABELS
from .selectors import (
    audit_events,
    can_look_up_customers,
    can_read_audit,
    customer_row_masked,
    staff_roles,
)

staff_required = staff_member_required(login_url="account_login")

# How long a reason given for opening a customer stays good in this staff session.
VIEW_REASON_SECONDS = 15 * 60
VIEW_REASONS_KEY = "backoffice_view_reasons"
AUDIT_PAGE_SIZE = 50


@staff_required
def home(request):
    """The person's work: the cards their roles get (home_cards.py), and their tools."""
    from .break_glass import can_break_glass, can_review_break_glass
    from .home_cards import cards_for
    from .training import can_see_team_training

    profile = StaffProfile.objects.select_related("branch").filter(user=request.user).first()
    roles = [ROLE_LABELS[r] for r in staff_roles(request.user)]
    return render(
        request,
        "backoffice/home.html",
        {
            "profile": profile,
            "roles": roles,
            "cards": cards_for(request.user),
            "can_look_up": can_look_up_customers(request.user),
            "can_read_audit": can_read_audit(request.user),
            "can_break_glass": can_break_glass(request.user),
            "can_review_break_glass": can_review_break_glass(request.user),
            "can_see_team_training": can_see_team_training(request.user),
        },
    )


@staff_required
def customer_search(request):
    if not can_look_up_customers(request.user):
        raise PermissionDenied
    form = CustomerSearchForm(request.GET if "q" in request.GET else None)
    page = None
    if form.is_valid():
        page = services.customer_search(
            actor=request.user,
            query=form.cleaned_data["q"],
            page_number=request.GET.get("page"),
            request=request,
        )
    query = ""
    if page is not None:
        query = urlencode({"q": form.cleaned_data["q"]})
        for customer in page.object_list:
            customer.masked = customer_row_masked(customer)
    return render(
        request,
        "backoffice/customer_search.html",
        {"form": form, "page": page, "query": query},
    )


def _reason_in_session(request, pk: int) -> str | None:
    reason, until = request.session.get(VIEW_REASONS_KEY, {}).get(str(pk), ("", 0))
    return reason if reason and until > time.time() else None


def _reason_keep(request, pk: int, reason: str) -> None:
    now = time.time()
    reasons = {
        key: value
        for key, value in request.session.get(VIEW_REASONS_KEY, {}).items()
        if value[1] > now
    }
    reasons[str(pk)] = (reason, now + VIEW_REASON_SECONDS)
    request.session[VIEW_REASONS_KEY] = reasons


@staff_required
@require_http_methods(["GET", "POST"])
def customer_view(request, pk: int):
    # Out of scope or unknown: 404 before anything else, the attempt audited as refused.
    services.customer_view_check(actor=request.user, pk=pk, request=request)
    if request.method == "POST":
        form = ViewReasonForm(request.POST)
        if form.is_valid():
            _reason_keep(request, pk, form.reason_text())
            return redirect("backoffice:customer_view", pk=pk)
        return render(request, "backoffice/customer_reason.html", {"form": form, "pk": pk})
    reason = _reason_in_session(request, pk)
    if reason is None:
        return render(
            request, "backoffice/customer_reason.html", {"form": ViewReasonForm(), "pk": pk}
        )
    data = services.customer_open(actor=request.user, pk=pk, reason=reason, request=request)
    return render(
        request,
        "backoffice/customer_view.html",
        {
            **data,
            "reason": ViewReasonForm.reason_label(reason),
            "reveal_minutes": settings.BACKOFFICE_REVEAL_FRESH_SECONDS // 60,
        },
    )


def _audit_form_and_events(request):
    if not can_read_audit(request.user):
        raise PermissionDenied
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, filters, audit_events(**{k: v for k, v in filters.items() if v})


@staff_required
def audit_search(request):
    form, _filters, events = _audit_form_and_events(request)
    page = Paginator(events, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page.object_list:
        event.reason_label = ViewReasonForm.reason_label(event.reason) if event.reason else ""
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    return render(
        request, "backoffice/audit_search.html", {"form": form, "page": page, "query": query}
    )


@staff_required
def audit_csv(request):
    _form, filters, events = _audit_form_and_events(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
    response.write("\ufeff")  # so spreadsheet apps read the Chinese text as UTF-8
    writer = csv.writer(response)
    writer.writerow(
        [
            _("When"),
            _("Staff member"),
            _("Role"),
            _("Customer"),
            _("Action"),
            _("Reason"),
            _("Outcome"),
            _("IP address"),
            _("Request ID"),
            _("Detail"),
        ]
    )
    rows = 0
    for event in events.iterator(chunk_size=500):
        rows += 1
        writer.writerow(
            [
                event.created_at.isoformat(),
                _csv_safe(event.actor.email),
                _csv_safe(event.role),
                _csv_safe(display_name_masked(event.customer) if event.customer else ""),
                event.get_action_display(),
                _csv_safe(event.reason),
                event.get_outcome_display(),
                event.ip_address or "",
                _csv_safe(event.request_id),
                _csv_safe(_detail_text(event.detail)),
            ]
        )
    services.audit_export_record(
        actor=request.user,
        filters={k: str(v) for k, v in filters.items() if v},
        rows=rows,
        request=request,
    )
    return response


def _detail_text(detail: dict) -> str:
    return "; ".join(f"{key}={value}" for key, value in sorted((detail or {}).items()))


def _csv_safe(text: str) -> str:
    """A cell starting with = + - @ would run as a formula in a spreadsheet; defuse it."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text
