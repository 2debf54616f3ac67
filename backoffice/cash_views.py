"""Pages of the cash desk (/backoffice/cash/): the teller's till, cash in and cash out for a
customer of the branch, receipts, and the branch manager's end of day. Desktop-first, usable
on a counter tablet. They call backoffice.cash_services; nothing here moves money."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.masking import display_name_masked
from config.api_errors import ApplicationError, form_errors_from
from wallet import documents
from wallet import selectors as wallet_selectors

from . import cash_services
from .cash_forms import (
    CashInForm,
    CashOutForm,
    LargeCashOutApprovalForm,
    TillCloseForm,
    TillOpenForm,
    new_idempotency_key,
)
from .models import BranchReconciliation, Till
from .selectors import (
    branch_day_tills,
    branch_ledger_net_cash,
    is_branch_manager,
    is_teller,
    staff_branch,
    till_current,
    till_expected_cash,
    till_movements,
)
from .views import staff_required


def _teller_only(request) -> None:
    if not is_teller(request.user):
        raise PermissionDenied


@staff_required
def cash_home(request):
    """The teller's till today: its float, its movements and the cash it should hold."""
    user = request.user
    if not (is_teller(user) or is_branch_manager(user)):
        raise PermissionDenied
    till = till_current(user) if is_teller(user) else None
    movements = list(till_movements(till)) if till else []
    for movement in movements:
        movement.customer_masked = display_name_masked(movement.customer)
    return render(
        request,
        "backoffice/cash/home.html",
        {
            "till": till,
            "movements": movements,
            "expected": till_expected_cash(till) if till else None,
            "is_teller": is_teller(user),
            "is_manager": is_branch_manager(user),
            "today": timezone.localdate(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def till_open(request):
    _teller_only(request)
    form = TillOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cash_services.till_open(
                teller=request.user,
                opening_float=form.cleaned_data["opening_float"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Till opened."))
            return redirect("backoffice:cash_home")
    status = 400 if form.errors else 200
    return render(request, "backoffice/cash/till_open.html", {"form": form}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def till_close(request):
    _teller_only(request)
    till = till_current(request.user)
    if till is None or till.status != Till.Status.OPEN:
        messages.info(request, _("You have no open till to close."))
        return redirect("backoffice:cash_home")
    form = TillCloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            closed = cash_services.till_close(
                teller=request.user,
                till_id=till.pk,
                denominations=form.denominations(),
                total=form.cleaned_data["counted_total"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("Till closed. Counted %(counted)s, expected %(expected)s, difference %(diff)s.")
                % {
                    "counted": f"{closed.counted_cash:,.2f}",
                    "expected": f"{closed.expected_cash:,.2f}",
                    "diff": f"{closed.difference:+,.2f}",
                },
            )
            return redirect("backoffice:cash_home")
    return render(
        request,
        "backoffice/cash/till_close.html",
        {"form": form, "till": till, "expected": till_expected_cash(till)},
        status=400 if form.errors else 200,
    )


def _cash_form_page(request, pk: int, *, form_class, template: str, command, extra=None):
    """Cash in and cash out share their flow: the customer (404 when not the teller's branch),
    the form with a fresh idempotency key, the command, then the till page with the receipt."""
    _teller_only(request)
    customer = cash_services.cash_customer_check(actor=request.user, pk=pk, request=request)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                result = command(request, customer, form.cleaned_data)
            except ApplicationError as error:
                form_errors_from(form, error)
                # 409 for a key already used with another request, else 400.
                status = 409 if error.status_code == 409 else 400
            else:
                movement = result.movement
                if result.replayed:
                    messages.info(request, _("This was already done; nothing was posted twice."))
                else:
                    messages.success(request, _("Done. Hand the customer their receipt."))
                return redirect(
                    reverse("backoffice:cash_home") + f"?done={movement.pk}#movement-{movement.pk}"
                )
    else:
        form = form_class(initial={"idempotency_key": new_idempotency_key()})
    return render(
        request,
        template,
        {
            "form": form,
            "customer": customer,
            "customer_masked": display_name_masked(customer),
            "till": till_current(request.user),
            **(extra or {}),
        },
        status=400 if form.errors and status == 200 else status,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def cash_in(request, pk: int):
    def command(request, customer, data):
        return cash_services.cash_in(
            teller=request.user,
            customer_pk=customer.pk,
            amount=data["amount"],
            idempotency_key=data["idempotency_key"],
            request=request,
        )

    return _cash_form_page(
        request, pk, form_class=CashInForm, template="backoffice/cash/cash_in.html", command=command
    )


@staff_required
@require_http_methods(["GET", "POST"])
def cash_out(request, pk: int):
    def command(request, customer, data):
        return cash_services.cash_out(
            teller=request.user,
            customer_pk=customer.pk,
            amount=data["amount"],
            idempotency_key=data["idempotency_key"],
            code=data["code"],
            otp=data["otp"],
            request=request,
        )

    return _cash_form_page(
        request,
        pk,
        form_class=CashOutForm,
        template="backoffice/cash/cash_out.html",
        command=command,
        extra={
            "approval_form": LargeCashOutApprovalForm(prefix="approval"),
            "approval_limit": cash_services.approval_limit(),
        },
    )


@staff_required
@require_POST
def cash_out_approval(request, pk: int):
    """Ask a branch manager to approve a withdrawal above the limit; then pay it out here."""
    _teller_only(request)
    customer = cash_services.cash_customer_check(actor=request.user, pk=pk, request=request)
    form = LargeCashOutApprovalForm(request.POST, prefix="approval")
    if form.is_valid():
        try:
            approval = cash_services.large_cash_out_request(
                teller=request.user,
                customer_pk=customer.pk,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("Asked. Once a branch manager approves it, pay the amount out on this page."),
            )
            return redirect("backoffice:approval_detail", pk=approval.pk)
    return render(
        request,
        "backoffice/cash/cash_out.html",
        {
            "form": CashOutForm(initial={"idempotency_key": new_idempotency_key()}),
            "approval_form": form,
            "approval_limit": cash_services.approval_limit(),
            "customer": customer,
            "customer_masked": display_name_masked(customer),
            "till": till_current(request.user),
        },
        status=400,
    )


@staff_required
def cash_receipt(request, pk: int):
    """The customer's receipt of a cash movement of the staff member's branch, as a PDF."""
    movement = cash_services.cash_receipt_open(actor=request.user, pk=pk, request=request)
    entry = (
        wallet_selectors.history_entries(wallet=movement.customer.wallet)
        .filter(transaction_id=movement.transaction_id)
        .first()
    )
    pdf = documents.receipt_pdf(
        entry=entry,
        counterparty=wallet_selectors.counterparty_label(entry),
        verify_url=request.build_absolute_uri(reverse("verify_receipt")),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="cash-receipt-{movement.pk}.pdf"'
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def end_of_day(request):
    """The branch manager's end of day: every till of the day, then the reconciliation."""
    if not is_branch_manager(request.user):
        raise PermissionDenied
    branch = staff_branch(request.user)
    if branch is None:
        raise PermissionDenied
    today = timezone.localdate()
    error = ""
    if request.method == "POST":
        try:
            cash_services.branch_day_reconcile(manager=request.user, request=request)
        except ApplicationError as refusal:
            error = str(refusal.detail)
        else:
            messages.success(request, _("End of day recorded."))
            return redirect("backoffice:cash_end_of_day")
    tills = list(branch_day_tills(branch=branch, business_date=today))
    for till in tills:
        till.teller_name = till.teller.full_name or till.teller.email
    return render(
        request,
        "backoffice/cash/end_of_day.html",
        {
            "branch": branch,
            "today": today,
            "tills": tills,
            "ledger_net": branch_ledger_net_cash(branch=branch, business_date=today),
            "reconciliation": BranchReconciliation.objects.filter(
                branch=branch, business_date=today
            ).first(),
            "recent": list(BranchReconciliation.objects.filter(branch=branch)[:10]),
            "error": error,
        },
        status=400 if error else 200,
    )
