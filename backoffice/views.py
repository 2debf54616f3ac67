import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.masking import display_name_masked
from accounts.models import User
from config.api_errors import ApplicationError
from config.csv_export import csv_response, csv_safe
from wallet import services as wallet_services
from wallet.models import Transaction, Wallet

from . import approvals, services, staff_actions
from .approvals import MAKER_ROLES
from .customer_actions import SETUP_LINK_ROLES
from .forms import (
    ApprovalDecisionForm,
    AuditFilterForm,
    CustomerActionForm,
    CustomerSearchForm,
    ViewReasonForm,
)
from .models import ApprovalRequest, AuditEvent, StaffProfile
from .onboarding import can_onboard
from .roles import ROLE_LABELS
from .selectors import (
    audit_events,
    can_look_up_customers,
    can_read_audit,
    customer_row_masked,
    is_branch_manager,
    is_teller,
    staff_roles,
)
from .staff_actions import FREEZE_ROLES, KYC_ROLES

staff_required = staff_member_required(login_url="account_login")


# How long a reason given for opening a customer stays good in this staff session.
VIEW_REASON_SECONDS = 15 * 60
VIEW_REASONS_KEY = "backoffice_view_reasons"
AUDIT_PAGE_SIZE = 50


@staff_required
def home(request):
    """The person's work: the cards their roles get (home_cards.py), and their tools."""
    from . import classes_staff
    from .break_glass import can_break_glass, can_review_break_glass
    from .home_cards import cards_for
    from .reconciliation import can_reconcile
    from .training import can_see_team_training
    from .views_kpi import can_see_kpis

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
            "can_use_approvals": bool(set(staff_roles(request.user)) & set(MAKER_ROLES)),
            "can_cash": is_teller(request.user) or is_branch_manager(request.user),
            "can_onboard": can_onboard(request.user),
            "can_break_glass": can_break_glass(request.user),
            "can_review_break_glass": can_review_break_glass(request.user),
            "can_see_team_training": can_see_team_training(request.user),
            "can_reconcile": can_reconcile(request.user),
            "can_see_kpis": can_see_kpis(request.user),
            "can_mark_attendance": classes_staff.can_mark_any_attendance(request.user),
            "can_read_class_report": classes_staff.can_read_attendance_report(request.user),
            "can_read_feedback": classes_staff.can_read_feedback(request.user),
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
    actions = _customer_actions_context(request, data["customer"], data["entries"])
    return render(
        request,
        "backoffice/customer_view.html",
        {
            **data,
            **actions,
            "reason": ViewReasonForm.reason_label(reason),
            "can_cash": is_teller(request.user),
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
    response, writer = csv_response("audit-trail.csv")
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
                csv_safe(event.actor.email),
                csv_safe(event.role),
                csv_safe(display_name_masked(event.customer) if event.customer else ""),
                event.get_action_display(),
                csv_safe(event.reason),
                event.get_outcome_display(),
                event.ip_address or "",
                csv_safe(event.request_id),
                csv_safe(_detail_text(event.detail)),
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


# --- staff actions from the customer view -------------------------------------------------


def _customer_actions_context(request, customer, entries) -> dict:
    """What the customer view offers the staff member: the action forms they may use, the
    four-eyes requests about the customer, and a reversal form on each reversible movement."""
    user = request.user
    roles = set(staff_roles(user))
    wallet = Wallet.objects.filter(user=customer).first()
    frozen = wallet is not None and wallet.status == Wallet.Status.FROZEN

    def action_form(action):
        return CustomerActionForm(initial={"action": action}, auto_id=f"id_{action}_%s")

    forms = {}
    if roles & set(FREEZE_ROLES) and wallet is not None and not frozen:
        forms["freeze"] = action_form(CustomerActionForm.FREEZE)
    if roles & set(MAKER_ROLES):
        if frozen:
            forms["unfreeze"] = action_form(CustomerActionForm.REQUEST_UNFREEZE)
        forms["reset"] = action_form(CustomerActionForm.REQUEST_SECOND_FACTOR_RESET)
    if roles & set(KYC_ROLES) and customer.kyc_level < User.KycLevel.VERIFIED_IN_PERSON:
        forms["kyc"] = action_form(CustomerActionForm.KYC_LEVEL2)
    if roles & set(MAKER_ROLES) and customer.is_active:
        forms["close"] = action_form(CustomerActionForm.REQUEST_CLOSE)
    more = {
        # Links to pages of their own: a new setup link (before the customer set a password),
        # a temporary limit override.
        "setup_link": bool(roles & set(SETUP_LINK_ROLES))
        and customer.is_active
        and not customer.has_usable_password(),
        "limit_override": bool(roles & set(MAKER_ROLES))
        and wallet is not None
        and wallet.status == Wallet.Status.ACTIVE,
    }
    txn_ids = {entry.transaction_id for entry in entries}
    reversed_ids = set(
        Transaction.objects.filter(reverses_id__in=txn_ids).values_list("reverses_id", flat=True)
    )
    for entry in entries:
        txn = entry.transaction
        entry.reversal_form = None
        if (
            roles & set(MAKER_ROLES)
            and txn.kind in wallet_services.REVERSIBLE_KINDS
            and txn.status == Transaction.Status.COMPLETED
            and txn.pk not in reversed_ids
        ):
            entry.reversal_form = CustomerActionForm(
                initial={"action": CustomerActionForm.REQUEST_REVERSAL, "transaction": txn.pk},
                auto_id=f"id_reverse{txn.pk}_%s",
            )
    approvals_list = list(approvals.approvals_for_customer(customer)[:20])
    return {"action_forms": forms, "approvals": approvals_list, "more_actions": more}


@staff_required
@require_POST
def customer_action(request, pk: int):
    """One staff action from the customer view (freeze at once, raise the verification level,
    or ask a second staff member for an unfreeze, a second-factor reset or a reversal)."""
    services.customer_view_check(actor=request.user, pk=pk, request=request)
    form = CustomerActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("backoffice:customer_view", pk=pk)
    action, reason = form.cleaned_data["action"], form.cleaned_data["reason"]
    kwargs = {"actor": request.user, "customer_id": pk, "request": request}
    try:
        if action == CustomerActionForm.FREEZE:
            staff_actions.wallet_freeze_by_staff(reason=reason, **kwargs)
            messages.success(request, _("The wallet is frozen. The customer has been told."))
        elif action == CustomerActionForm.KYC_LEVEL2:
            staff_actions.kyc_level2_grant_by_staff(**kwargs)
            messages.success(request, _("The customer is now verified in person (level 2)."))
        else:
            approval = approvals.approval_request_create(
                action=CUSTOMER_ACTION_APPROVALS[action],
                reason=reason,
                parameters={"transaction": form.cleaned_data.get("transaction")},
                **kwargs,
            )
            messages.success(
                request,
                _("Request #%(id)d is waiting for a second staff member's approval.")
                % {"id": approval.pk},
            )
            return redirect("backoffice:approval_detail", pk=approval.pk)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    return redirect("backoffice:customer_view", pk=pk)


CUSTOMER_ACTION_APPROVALS = {
    CustomerActionForm.REQUEST_UNFREEZE: ApprovalRequest.Action.UNFREEZE_WALLET,
    CustomerActionForm.REQUEST_SECOND_FACTOR_RESET: ApprovalRequest.Action.RESET_SECOND_FACTOR,
    CustomerActionForm.REQUEST_REVERSAL: ApprovalRequest.Action.REVERSE_TRANSACTION,
    CustomerActionForm.REQUEST_CLOSE: ApprovalRequest.Action.CLOSE_ACCOUNT,
}


# --- four eyes ---------------------------------------------------------------------------

# What an approval about no customer is about (a bank fee found by reconciliation).
BANK_OWN_BOOKS = gettext_lazy("None: the bank's own books")


def _approval_rows(items):
    for approval in items:
        approval.customer_masked = (
            display_name_masked(approval.customer) if approval.customer_id else BANK_OWN_BOOKS
        )
    return items


@staff_required
def approval_queue(request):
    queue = approvals.approval_queue(request.user)
    return render(
        request,
        "backoffice/approval_queue.html",
        {"to_check": _approval_rows(queue["to_check"]), "mine": _approval_rows(queue["mine"])},
    )


@staff_required
def approval_detail(request, pk: int):
    approval = approvals.approval_visible_or_404(user=request.user, pk=pk)
    return render(request, "backoffice/approval_detail.html", _approval_context(request, approval))


def _approval_context(request, approval, form=None) -> dict:
    pending = approval.effective_status == ApprovalRequest.Status.PENDING
    is_maker = approval.requested_by_id == request.user.pk
    may_decide = pending and not is_maker and approvals.may_check(request.user, approval)

    def decision_form(decision):
        if form is not None and form.data.get("decision") == decision:
            shown = form
        else:
            shown = ApprovalDecisionForm(
                initial={"decision": decision}, auto_id=f"id_{decision}_%s"
            )
        if decision != ApprovalDecisionForm.REJECT:
            shown.fields["note"].help_text = ""  # a note is required only to reject
        return shown

    transaction_shown = None
    if approval.action == ApprovalRequest.Action.REVERSE_TRANSACTION:
        transaction_shown = (
            Transaction.objects.filter(pk=approval.parameters.get("transaction"))
            .prefetch_related("entries__account")
            .first()
        )
    return {
        "approval": approval,
        "customer_masked": (
            display_name_masked(approval.customer) if approval.customer_id else BANK_OWN_BOOKS
        ),
        "is_maker": is_maker,
        "approve_form": decision_form(ApprovalDecisionForm.APPROVE) if may_decide else None,
        "reject_form": decision_form(ApprovalDecisionForm.REJECT) if may_decide else None,
        "withdraw_form": (
            decision_form(ApprovalDecisionForm.WITHDRAW)
            if pending and is_maker and approval.status == ApprovalRequest.Status.PENDING
            else None
        ),
        "original": transaction_shown,
    }


DECISION_STEPS = {
    ApprovalDecisionForm.APPROVE: (approvals.approval_approve, AuditEvent.Action.APPROVAL_APPROVE),
    ApprovalDecisionForm.REJECT: (approvals.approval_reject, AuditEvent.Action.APPROVAL_REJECT),
    ApprovalDecisionForm.WITHDRAW: (
        approvals.approval_withdraw,
        AuditEvent.Action.APPROVAL_WITHDRAW,
    ),
}


@staff_required
@require_POST
def approval_decide(request, pk: int):
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        approval = approvals.approval_visible_or_404(user=request.user, pk=pk)
        context = _approval_context(request, approval, form=form)
        return render(request, "backoffice/approval_detail.html", context, status=400)
    decide, step = DECISION_STEPS[form.cleaned_data["decision"]]
    try:
        approval = decide(
            actor=request.user, pk=pk, note=form.cleaned_data["note"], request=request
        )
    except (ApplicationError, Http404) as error:
        approvals.approval_refusal_record(
            actor=request.user, pk=pk, step=step, error=error, request=request
        )
        if isinstance(error, Http404):
            raise
        messages.error(request, str(error.detail))
        return redirect("backoffice:approval_detail", pk=pk)
    if approval.status == ApprovalRequest.Status.FAILED:
        messages.error(
            request,
            _("Approved, but the action could not be carried out: %(error)s")
            % {"error": approval.result.get("error", "")},
        )
    else:
        messages.success(request, approval.get_status_display())
    return redirect("backoffice:approval_detail", pk=pk)
