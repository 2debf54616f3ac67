"""The customer's e-invoice pages (mobile-first): invoice titles, requesting the e-invoice of a
payment, the invoices with their PDF, email and red-letter cancellation. Same services as the
API (wallet/invoices.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import invoices
from .invoices_api import invoice_pdf_response
from .invoices_forms import InvoiceRequestForm, InvoiceTitleForm
from .models_invoices import Invoice, InvoiceTitle


def _own_title(request, pk) -> InvoiceTitle:
    title = invoices.titles_of(request.user).filter(pk=pk).first() if pk <= 2**63 - 1 else None
    if title is None:
        raise Http404
    return title


def _own_invoice(request, pk) -> Invoice:
    invoice = invoices.invoice_of(request.user, pk)
    if invoice is None:
        raise Http404
    return invoice


# --- titles ---------------------------------------------------------------------------


@login_required
def titles(request):
    return render(
        request, "wallet/invoices/titles.html", {"titles": invoices.titles_of(request.user)}
    )


def _title_form_page(request, *, title=None):
    initial = {"kind": InvoiceTitle.Kind.PERSON}
    if title is not None:
        initial = {
            field: getattr(title, field)
            for field in (
                "kind",
                "name",
                "taxpayer_id",
                "address",
                "phone",
                "bank_name",
                "bank_account",
                "is_default",
            )
        }
    form = InvoiceTitleForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                if title is None:
                    invoices.invoice_title_create(user=request.user, values=form.cleaned_data)
                else:
                    invoices.invoice_title_update(
                        user=request.user, title=title, values=form.cleaned_data
                    )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Invoice title saved."))
                payment = request.GET.get("payment", "")
                if payment.isdigit() and len(payment) < 19:
                    return redirect("wallet:invoice_request", int(payment))
                return redirect("wallet:invoice_titles")
        status = 400
    return render(
        request, "wallet/invoices/title_form.html", {"form": form, "title": title}, status=status
    )


@login_required
def title_new(request):
    return _title_form_page(request)


@login_required
def title_edit(request, pk: int):
    return _title_form_page(request, title=_own_title(request, pk))


@login_required
@require_POST
def title_delete(request, pk: int):
    invoices.invoice_title_delete(user=request.user, title=_own_title(request, pk))
    messages.success(request, _("Invoice title removed."))
    return redirect("wallet:invoice_titles")


# --- invoices ---------------------------------------------------------------------------


@login_required
def invoice_list(request):
    return render(
        request,
        "wallet/invoices/list.html",
        {"invoices": invoices.invoices_of(request.user)[:100]},
    )


@login_required
def invoice_detail(request, pk: int):
    invoice = _own_invoice(request, pk)
    red = Invoice.objects.filter(cancels=invoice).first()
    return render(
        request,
        "wallet/invoices/detail.html",
        {
            "invoice": invoice,
            "red": red,
            "failure_message": invoices.failure_message(invoice),
            "can_cancel": invoice.kind == Invoice.Kind.BLUE
            and invoice.status == Invoice.Status.ISSUED
            and red is None,
        },
    )


@login_required
def invoice_request(request, pk: int):
    """Request the e-invoice of one of the customer's payments (from its detail page)."""
    if pk > 2**63 - 1:
        raise Http404
    user_titles = list(invoices.titles_of(request.user))
    form = InvoiceRequestForm(request.POST or None, titles=user_titles)
    problem = ""
    try:
        invoices.payment_for_invoice_check(user=request.user, transaction_id=pk)
    except ApplicationError as error:
        if error.status_code == 404:
            raise Http404 from error
        problem = str(error.detail)
    existing = invoices.live_invoice_for_payment(request.user, pk) if not problem else None
    if existing is not None and request.method == "GET":
        return redirect("wallet:invoice", existing.pk)  # one invoice per payment: show it
    status = 200
    if request.method == "POST" and not problem:
        if form.is_valid():
            try:
                invoice = invoices.invoice_request(
                    user=request.user, transaction_id=pk, title_id=form.cleaned_data["title"]
                )
            except ApplicationError as error:
                if error.status_code == 404:
                    raise Http404 from error
                form_errors_from(form, error)
            else:
                invoice.refresh_from_db()
                messages.success(request, _("E-invoice requested."))
                return redirect("wallet:invoice", invoice.pk)
        status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "wallet/invoices/request.html",
        {"form": form, "problem": problem, "transaction_id": pk, "titles": user_titles},
        status=status,
    )


@login_required
def invoice_pdf(request, pk: int):
    return invoice_pdf_response(_own_invoice(request, pk))


def _post_action(request, pk, action, success):
    invoice = _own_invoice(request, pk)
    try:
        result = action(user=request.user, invoice=invoice)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("wallet:invoice", invoice.pk)
    messages.success(request, success)
    return redirect("wallet:invoice", (result or invoice).pk)


@login_required
@require_POST
def invoice_email(request, pk: int):
    return _post_action(
        request, pk, invoices.invoice_email, _("The invoice is on its way to your email.")
    )


@login_required
@require_POST
def invoice_red_letter(request, pk: int):
    return _post_action(
        request,
        pk,
        invoices.invoice_red_letter,
        _("A red-letter invoice cancels this invoice. You can then request a new one."),
    )


@login_required
@require_POST
def invoice_retry(request, pk: int):
    return _post_action(request, pk, invoices.invoice_retry, _("Trying again."))
