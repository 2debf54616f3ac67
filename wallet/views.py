"""The customer's wallet pages. They call the same services and selectors as the API."""

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_otp_webauthn.models import WebAuthnCredential

from accounts.selectors import has_second_factor
from config.api_errors import ApplicationError, form_errors_from
from config.csv_export import csv_response, csv_safe
from config.qr import qr_svg
from config.ratelimit import hits_in_last_minute

from . import documents, selectors, services, stepup
from .forms import (
    BillConfirmForm,
    BillForm,
    BudgetForm,
    CashCodeForm,
    ConfirmForm,
    ExchangeConfirmForm,
    ExchangeForm,
    HistoryFilterForm,
    PayConfirmForm,
    PaymentForm,
    PayRequestForm,
    ReceiveForm,
    TransferForm,
)
from .masking import display_name_masked
from .models import Merchant, Transaction
from .money import quantize
from .periods import month_bounds

HISTORY_PAGE_SIZE = 20
RECENT_ON_DASHBOARD = 5


STEP_UP_CODES = {"step_up_required", "otp_invalid", "step_up_expired", "step_up_invalid"}


def needs_code(error: ApplicationError) -> bool:
    return error.get_codes() in STEP_UP_CODES


def with_step_up(request, otp: str, approved: str, attempt):
    """Run a money service, answering its step-up demand when the customer has answered it.

    `approved` is a challenge the page already had verified by a passkey; `otp` a code typed
    for the challenge the service issues now. Either way the challenge approves exactly this
    payment. A refused code comes back carrying its challenge, for the page to ask again.
    """
    if approved:
        return attempt(approved)
    try:
        return attempt(None)
    except ApplicationError as error:
        if error.get_codes() != "step_up_required" or not otp:
            raise
        token = error.extra["challenge"]
    try:
        services.step_up_verify(user=request.user, token=token, otp=otp, request=request)
    except ApplicationError as error:
        error.extra = {**error.extra, "challenge": token}
        raise
    return attempt(token)


def show_result(request, result, *, replayed: str, done: str):
    """After a money action: its receipt, saying whether this request repeated an earlier one."""
    (messages.info if result.replayed else messages.success)(
        request, replayed if result.replayed else done
    )
    return redirect("wallet:transaction", pk=result.transaction.pk)


def confirm_again_with_code(request, template: str, form, error: ApplicationError, context: dict):
    """Show the confirmation again, now asking for a code or a passkey (with what went wrong)."""
    challenge = error.extra.get("challenge", "")
    stepup.remember_pending(request, challenge)
    fresh = form.__class__(initial={**form.cleaned_data, "otp": "", "step_up": challenge})
    code_error = "" if error.get_codes() == "step_up_required" else str(error.detail)
    context = {
        **context,
        "form": fresh,
        "needs_code": True,
        "code_error": code_error,
        "has_passkey": WebAuthnCredential.objects.filter(
            user=request.user, confirmed=True
        ).exists(),
    }
    return render(request, template, context)


@login_required
def dashboard(request):
    wallet = selectors.wallet_for(request.user)
    recent = list(selectors.history_entries(wallet=wallet)[:RECENT_ON_DASHBOARD])
    return render(
        request,
        "wallet/dashboard.html",
        {
            "wallet": wallet,
            "balances": selectors.wallet_balances(wallet),
            "recent": [(entry, selectors.counterparty_label(entry)) for entry in recent],
            "has_second_factor": has_second_factor(request.user),
        },
    )


@login_required
@require_POST
def activate(request):
    try:
        services.wallet_activate(user=request.user)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request, _("Your wallet is active. You can now receive, pay and transfer.")
        )
    return redirect("dashboard")


@login_required
def transfer(request):
    form = TransferForm(request.POST or None, initial=request.GET or None)
    if request.method == "POST" and form.is_valid():
        try:
            prepared = services.transfer_prepare(sender_user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            confirm = ConfirmForm(
                initial={
                    "to": form.cleaned_data["to"],
                    "amount": str(prepared.amount),
                    "currency": prepared.currency,
                    "note": prepared.note,
                    "idempotency_key": uuid.uuid4().hex,
                }
            )
            return render(
                request, "wallet/transfer_confirm.html", {"prepared": prepared, "form": confirm}
            )
    return render(request, "wallet/transfer.html", {"form": form})


@login_required
@require_POST
def transfer_confirm(request):
    confirm = ConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(
            request, _("The confirmation was incomplete. Please start the transfer again.")
        )
        return redirect("wallet:transfer")
    data = dict(confirm.cleaned_data)
    otp, approved = data.pop("otp", ""), data.pop("step_up", "")
    try:
        result = with_step_up(
            request,
            otp,
            approved,
            lambda token: services.transfer_create(sender_user=request.user, step_up=token, **data),
        )
    except ApplicationError as error:
        if needs_code(error):
            prepared = services.transfer_prepare(
                sender_user=request.user,
                **{k: data[k] for k in ("to", "amount", "currency", "note")},
            )
            return confirm_again_with_code(
                request, "wallet/transfer_confirm.html", confirm, error, {"prepared": prepared}
            )
        form = TransferForm(data={k: data[k] for k in ("to", "amount", "currency", "note")})
        form.is_valid()
        form_errors_from(form, error)
        return render(request, "wallet/transfer.html", {"form": form}, status=400)
    return show_result(
        request,
        result,
        replayed=_("This transfer was already made; it was not sent twice."),
        done=_("Money sent."),
    )


@login_required
def pay(request, merchant_code: str | None = None):
    """Pay a shop: typed code, or the page a shop's QR code opens with the code filled in."""
    merchant = _merchant_or_404(merchant_code) if merchant_code else None
    initial = {"merchant": merchant.code} if merchant else (request.GET or None)
    form = PaymentForm(
        request.POST or None,
        initial=initial,
        voucher_choices=services.voucher_choices(request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            prepared, quote = services.payment_preview(
                payer_user=request.user,
                merchant_code=data["merchant"],
                amount=data["amount"],
                currency=data["currency"],
                note=data["note"],
                voucher=data["voucher"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            confirm = PayConfirmForm(
                initial={
                    "to": prepared.merchant.code,
                    "amount": str(prepared.amount),
                    "currency": prepared.currency,
                    "note": prepared.note,
                    "voucher": prepared.voucher or "",
                    "expected_discount": str(quote.discount),
                    "idempotency_key": uuid.uuid4().hex,
                }
            )
            return render(
                request,
                "wallet/pay_confirm.html",
                _pay_confirm_context(request, prepared, quote, confirm),
            )
    return render(request, "wallet/pay.html", {"form": form, "merchant": merchant})


def _pay_confirm_context(request, prepared, quote, confirm) -> dict:
    return {
        "prepared": prepared,
        "quote": quote,
        "form": confirm,
        "voucher_choices": services.voucher_choices(request.user),
    }


@login_required
@require_POST
def pay_confirm(request):
    confirm = PayConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(
            request, _("The confirmation was incomplete. Please start the payment again.")
        )
        return redirect("wallet:pay")
    data = confirm.cleaned_data
    details = {
        "payer_user": request.user,
        "merchant_code": data["to"],
        "amount": data["amount"],
        "currency": data["currency"],
        "note": data["note"],
        "voucher": data["voucher"],
    }
    try:
        result = with_step_up(
            request,
            data["otp"],
            data["step_up"],
            lambda token: services.payment_create(
                **details,
                expected_discount=data["expected_discount"],
                idempotency_key=data["idempotency_key"],
                step_up=token,
            ),
        )
    except ApplicationError as error:
        if needs_code(error):
            prepared, quote = services.payment_preview(**details)
            return confirm_again_with_code(
                request,
                "wallet/pay_confirm.html",
                confirm,
                error,
                _pay_confirm_context(request, prepared, quote, confirm),
            )
        form = PaymentForm(
            data={
                "merchant": data["to"],
                **{k: data[k] for k in ("amount", "currency", "note", "voucher")},
            },
            voucher_choices=services.voucher_choices(request.user),
        )
        form.is_valid()
        form_errors_from(form, error)
        return render(request, "wallet/pay.html", {"form": form, "merchant": None}, status=400)
    return show_result(
        request,
        result,
        replayed=_("This payment was already made; it was not charged twice."),
        done=_("Paid."),
    )


def _merchant_or_404(code: str):
    try:
        return services.merchant_resolve(code)
    except ApplicationError:
        raise Http404 from None


def merchant_qr(request, merchant_code: str):
    """The QR code a shop displays; it opens the pay page with the shop filled in."""
    merchant = _merchant_or_404(merchant_code)
    url = request.build_absolute_uri(reverse("wallet:merchant_pay", args=[merchant.code]))
    return HttpResponse(qr_svg(url), content_type="image/svg+xml")


@login_required
def receive(request):
    form = ReceiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment_request = services.payment_request_create(
                user=request.user, **form.cleaned_data
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect("wallet:request_detail", token=payment_request.token)
    wallet = selectors.wallet_for(request.user)
    recent = selectors.payment_requests_of(wallet)[:10]
    return render(request, "wallet/receive.html", {"form": form, "requests": recent})


@login_required
def request_detail(request, token: str):
    """The requester's view: the QR code to show and the link to share."""
    payment_request = (
        selectors.payment_requests_of(selectors.wallet_for(request.user))
        .filter(token=token)
        .first()
    )
    if payment_request is None:
        raise Http404
    link = request.build_absolute_uri(reverse("wallet:request_pay", args=[token]))
    return render(
        request,
        "wallet/request_detail.html",
        {"payment_request": payment_request, "link": link, "qr_svg": qr_svg(link)},
    )


@login_required
@require_POST
def request_cancel(request, token: str):
    try:
        services.payment_request_cancel(user=request.user, token=token)
    except ApplicationError as error:
        if error.status_code == 404:
            raise Http404 from None
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The request was cancelled."))
    return redirect("wallet:request_detail", token=token)


@login_required
def request_pay(request, token: str):
    """The payer's view of a request: who asks, how much, and one button to pay."""
    try:
        payment_request = services.payment_request_get(token)
    except ApplicationError:
        raise Http404 from None
    form = PayRequestForm(request.POST or None, initial={"idempotency_key": uuid.uuid4().hex})
    needs = False
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        otp, approved = data.pop("otp", ""), data.pop("step_up", "")
        try:
            result = with_step_up(
                request,
                otp,
                approved,
                lambda step_up: services.payment_request_pay(
                    payer_user=request.user, token=token, step_up=step_up, **data
                ),
            )
        except ApplicationError as error:
            needs = needs_code(error)
            if needs:
                challenge = error.extra.get("challenge", "")
                stepup.remember_pending(request, challenge)
                form.data = form.data.copy()
                form.data["step_up"] = challenge
            if error.get_codes() == "step_up_required":
                message = _("Enter the code from your authenticator app to approve this payment.")
                form.add_error("otp", message)
            else:
                form_errors_from(form, error)
        else:
            messages.success(request, _("Paid."))
            return redirect("wallet:transaction", pk=result.transaction.pk)
    return render(
        request,
        "wallet/request_pay.html",
        {
            "payment_request": payment_request,
            "requester": display_name_masked(payment_request.requester.user),
            "form": form,
            "needs_code": needs,
            "has_passkey": needs
            and WebAuthnCredential.objects.filter(user=request.user, confirmed=True).exists(),
        },
    )


@login_required
def bills(request):
    form = BillForm(request.POST or None, initial={"biller": request.GET.get("biller")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            biller, reference = services.bill_payment_prepare(
                biller_code=data["biller"].code, reference=data["reference"]
            )
            prepared = services.payment_prepare(
                payer_user=request.user,
                merchant_code=biller.merchant.code,
                amount=data["amount"],
                currency="CNY",
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            confirm = BillConfirmForm(
                initial={
                    "to": biller.code,
                    "reference": reference,
                    "amount": str(prepared.amount),
                    "currency": prepared.currency,
                    "idempotency_key": uuid.uuid4().hex,
                }
            )
            return render(
                request,
                "wallet/bill_confirm.html",
                {"biller": biller, "reference": reference, "prepared": prepared, "form": confirm},
            )
    return render(request, "wallet/bills.html", {"form": form})


@login_required
@require_POST
def bill_confirm(request):
    confirm = BillConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(
            request, _("The confirmation was incomplete. Please start the payment again.")
        )
        return redirect("wallet:bills")
    data = confirm.cleaned_data
    try:
        result = with_step_up(
            request,
            data["otp"],
            data["step_up"],
            lambda token: services.bill_payment_create(
                payer_user=request.user,
                biller_code=data["to"],
                reference=data["reference"],
                amount=data["amount"],
                currency=data["currency"],
                idempotency_key=data["idempotency_key"],
                step_up=token,
            ),
        )
    except ApplicationError as error:
        if needs_code(error):
            biller, reference = services.bill_payment_prepare(
                biller_code=data["to"], reference=data["reference"]
            )
            prepared = services.payment_prepare(
                payer_user=request.user,
                merchant_code=biller.merchant.code,
                amount=data["amount"],
                currency="CNY",
            )
            return confirm_again_with_code(
                request,
                "wallet/bill_confirm.html",
                confirm,
                error,
                {"biller": biller, "reference": reference, "prepared": prepared},
            )
        messages.error(request, str(error.detail))
        return redirect("wallet:bills")
    return show_result(
        request,
        result,
        replayed=_("This bill was already paid; it was not charged twice."),
        done=_("Bill paid."),
    )


@login_required
def exchange(request):
    form = ExchangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.fx_quote_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            confirm = ExchangeConfirmForm(
                initial={"quote": quote.token, "idempotency_key": uuid.uuid4().hex}
            )
            return render(
                request, "wallet/exchange_confirm.html", {"quote": quote, "form": confirm}
            )
    return render(request, "wallet/exchange.html", {"form": form, "board": selectors.fx_board()})


@login_required
@require_POST
def exchange_confirm(request):
    confirm = ExchangeConfirmForm(request.POST)
    if not confirm.is_valid():
        messages.error(request, _("The confirmation was incomplete. Please start again."))
        return redirect("wallet:exchange")
    try:
        result = services.exchange_create(
            user=request.user,
            quote_token=confirm.cleaned_data["quote"],
            idempotency_key=confirm.cleaned_data["idempotency_key"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("wallet:exchange")
    messages.success(request, _("Exchanged."))
    return redirect("wallet:transaction", pk=result.transaction.pk)


SPENDING_MONTHS_SHOWN = 6
CHART_BAR_WIDTH = 230
CHART_ROW_HEIGHT = 36


def _month_param(value: str | None):
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except (TypeError, ValueError):
        return services.month_start()


@login_required
def spending(request):
    """Spending by category for a month, as a chart and a table, with the budgets."""
    wallet = selectors.wallet_for(request.user)
    month = _month_param(request.GET.get("month"))
    form = BudgetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.budget_set(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(request, _("Budget saved."))
            return redirect(f"{reverse('wallet:spending')}?month={month:%Y-%m}")
    totals = services.spending_by_category(wallet, month) if wallet else {}
    budgets = {b.category: b for b in selectors.budgets_of(wallet)}
    labels = dict(Merchant.Category.choices)
    largest = max([*totals.values(), *(b.amount for b in budgets.values()), Decimal(1)])
    rows = []
    categories = sorted(set(totals) | set(budgets), key=lambda c: -(totals.get(c) or 0))
    for index, category in enumerate(categories):
        spent = totals.get(category, Decimal(0))
        budget = budgets.get(category)
        rows.append(
            {
                "category": category,
                "label": labels.get(category, category),
                "spent": spent,
                "budget": budget.amount if budget else None,
                "percent": int(spent * 100 / budget.amount) if budget else None,
                "bar": int(spent * CHART_BAR_WIDTH / largest) + 1,
                "y": index * CHART_ROW_HEIGHT,
            }
        )
    return render(
        request,
        "wallet/spending.html",
        {
            "month": month,
            "months": selectors.recent_months(SPENDING_MONTHS_SHOWN),
            "rows": rows,
            "total": sum(totals.values(), Decimal(0)),
            "form": form,
            "alerts": selectors.budget_alerts_of(wallet, month),
            "chart_height": CHART_ROW_HEIGHT * max(len(rows), 1),
        },
    )


def _history_form_and_entries(request):
    wallet = selectors.wallet_for(request.user)
    form = HistoryFilterForm(request.GET or None)
    kwargs = form.selector_kwargs() if form.is_bound and form.is_valid() else {}
    return form, selectors.history_entries(wallet=wallet, **kwargs)


@login_required
def history(request):
    form, entries = _history_form_and_entries(request)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, selectors.counterparty_label(entry)) for entry in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "wallet/history.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


@login_required
def history_csv(request):
    _form, entries = _history_form_and_entries(request)
    response, writer = csv_response("wallet-history.csv")
    writer.writerow(
        [
            _("Date"),
            _("Type"),
            _("Counterparty"),
            pgettext("payment memo", "Note"),
            _("Amount"),
            _("Currency"),
            _("Reference"),
        ]
    )
    for entry in entries.iterator(chunk_size=500):
        txn = entry.transaction
        writer.writerow(
            [
                txn.created_at.isoformat(),
                txn.get_kind_display(),
                csv_safe(selectors.counterparty_label(entry)),
                csv_safe(txn.note),
                str(quantize(entry.amount, entry.currency)),
                entry.currency,
                txn.pk,
            ]
        )
    return response


def _own_entry_or_404(request, pk: int):
    wallet = selectors.wallet_for(request.user)
    entry = (
        selectors.history_entries(wallet=wallet).filter(transaction_id=pk).first()
        if wallet
        else None
    )
    if entry is None:
        raise Http404
    return entry


@login_required
def receipt_pdf(request, pk: int):
    entry = _own_entry_or_404(request, pk)
    pdf = documents.receipt_pdf(
        entry=entry,
        counterparty=selectors.counterparty_label(entry),
        verify_url=request.build_absolute_uri(reverse("verify_receipt")),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="receipt-{pk}.pdf"'
    return response


@login_required
def statements(request):
    wallet = selectors.wallet_for(request.user)
    return render(request, "wallet/statements.html", {"months": selectors.statement_months(wallet)})


@login_required
def statement_pdf(request, year: int, month: int):
    if not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404
    wallet = selectors.wallet_for(request.user)
    if wallet is None:
        raise Http404
    start, end = month_bounds(year, month)
    entries = selectors.history_entries(wallet=wallet).filter(
        transaction__created_at__gte=start, transaction__created_at__lt=end
    )
    rows = [(e, selectors.counterparty_label(e)) for e in reversed(list(entries))]
    pdf = documents.statement_pdf(wallet=wallet, year=year, month=month, rows=rows)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="statement-{year}-{month:02d}.pdf"'
    return response


def verify_receipt(request):
    """Public: anyone holding a receipt can check it is genuine, without logging in."""
    code = request.GET.get("code", "").strip()[:64]
    result = None
    if code:
        attempts = hits_in_last_minute(f"receipt-verify:{request.META.get('REMOTE_ADDR')}")
        if attempts >= settings.RECEIPT_VERIFY_RATE_PER_MINUTE:
            return render(
                request, "wallet/verify_receipt.html", {"code": code, "throttled": True}, status=429
            )
        txn = documents.transaction_for_receipt_code(code)
        result = {
            "valid": txn is not None,
            "summary": selectors.receipt_summary(txn) if txn else None,
        }
    return render(request, "wallet/verify_receipt.html", {"code": code, "result": result})


@login_required
def transaction_detail(request, pk: int):
    wallet = selectors.wallet_for(request.user)
    entry = (
        selectors.history_entries(wallet=wallet).filter(transaction_id=pk).first()
        if wallet
        else None
    )
    if entry is None:
        raise Http404
    txn: Transaction = entry.transaction
    return render(
        request,
        "wallet/transaction_detail.html",
        {
            "entry": entry,
            "txn": txn,
            "counterparty": selectors.counterparty_label(entry),
            "receipt_code": documents.receipt_code(txn),
            **_invoice_context(request, txn, entry),
            **_held_context(request, txn, entry),
        },
    )


def _invoice_context(request, txn: Transaction, entry) -> dict:
    """A merchant payment of theirs: its e-invoice, or the way to request one."""
    if txn.kind != Transaction.Kind.PAYMENT or entry.amount >= 0:
        return {}
    from .invoices import live_invoice_for_payment

    return {"invoiceable": True, "invoice": live_invoice_for_payment(request.user, txn.pk)}


def _held_context(request, txn: Transaction, entry) -> dict:
    """A payment of theirs under review: its case and the "it was me" form."""
    if txn.status != Transaction.Status.HELD or entry.amount >= 0:
        return {}
    from .risk.customer import HeldConfirmForm, held_case_for

    case = held_case_for(request.user, txn.pk)
    return {"held_case": case, "held_form": HeldConfirmForm()} if case and case.is_open else {}


@login_required
def cash_code(request):
    """Authorise a cash withdrawal at a branch counter: a one-time code for one amount, shown
    once here and typed by the teller. Only its hash is kept."""
    from .services.cash import cash_code_current, cash_code_issue

    form = CashCodeForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            row, plain = cash_code_issue(user=request.user, amount=form.cleaned_data["amount"])
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            issued = {"code": plain, "row": row}
            form = CashCodeForm()
    current = None if issued else cash_code_current(request.user)
    response = render(
        request,
        "wallet/cash_code.html",
        {"form": form, "issued": issued, "current": current},
        status=400 if form.errors else 200,
    )
    response["Cache-Control"] = "no-store"  # the code must not stay in a cache
    return response
