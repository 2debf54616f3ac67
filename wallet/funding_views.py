"""Pages for top-ups and withdrawals between the customer's bank and wallet."""

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render

from accounts.models import LinkedAccount
from config.api_errors import ApplicationError, form_errors_from

from . import selectors, services
from .forms import FundingForm
from .models import FundingOrder

RECENT_ORDERS_SHOWN = 10


def _sources(user, *, withdrawal: bool):
    sources = LinkedAccount.objects.filter(user=user, status=LinkedAccount.Status.VERIFIED)
    if withdrawal:
        sources = sources.filter(kind__in=LinkedAccount.WITHDRAWABLE_KINDS)
    return list(sources)


def _funding_page(request, *, direction: str):
    withdrawal = direction == FundingOrder.Direction.WITHDRAWAL
    sources = _sources(request.user, withdrawal=withdrawal)
    chosen = request.GET.get("source") or next((str(s.pk) for s in sources if s.is_default), None)
    form = FundingForm(
        request.POST if request.method == "POST" else None,
        sources=sources,
        initial={"source": chosen, "idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        create = services.withdrawal_create if withdrawal else services.topup_create
        try:
            result = create(
                user=request.user,
                source_id=form.cleaned_data["source"],
                amount=form.cleaned_data["amount"],
                currency="CNY",
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect("wallet:funding_order", reference=result.order.reference)
    recent = selectors.funding_orders_of(request.user, direction=direction)[:RECENT_ORDERS_SHOWN]
    return render(
        request,
        "wallet/funding.html",
        {"form": form, "sources": sources, "withdrawal": withdrawal, "recent": recent},
    )


@login_required
def top_up(request):
    return _funding_page(request, direction=FundingOrder.Direction.TOP_UP)


@login_required
def withdraw(request):
    return _funding_page(request, direction=FundingOrder.Direction.WITHDRAWAL)


@login_required
def funding_order(request, reference: str):
    order = selectors.funding_orders_of(request.user).filter(reference=reference).first()
    if order is None:
        raise Http404
    reason = (
        services.rejection_reason_text(order.rejection_reason) if order.rejection_reason else ""
    )
    return render(request, "wallet/funding_order.html", {"order": order, "reason": reason})
