"""Customer pages (mobile-first): the fund, the questionnaire, subscribe and redeem."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.api_errors import ApplicationError, form_errors_from
from wallet.money import format_money

from . import selectors, services
from .forms import QuestionnaireForm, RedeemForm, SubscribeForm
from .models import FundOrder, FundProduct, RiskLevel


def _key():
    return uuid.uuid4().hex


@login_required
def overview(request):
    holdings = list(selectors.holdings_of(request.user))
    histories = selectors.yield_histories(holdings)
    for holding in holdings:
        holding.history = histories[holding.pk]
        holding.chart_id = f"yield-data-{holding.pk}"
        holding.chart_data = {
            "labels": [day.strftime("%m-%d") for day, _amount in holding.history],
            "values": [f"{amount:.2f}" for _day, amount in holding.history],
        }
    assessment = services.suitability_current(request.user)
    return render(
        request,
        "wealth/overview.html",
        {
            "holdings": holdings,
            "products": selectors.products_on_sale(),
            "assessment": assessment,
            "tolerance_label": RiskLevel(assessment.risk_tolerance).label if assessment else "",
            "orders": selectors.orders_of(request.user)[:10],
        },
    )


def _product_context(request, product, *, subscribe_form=None, redeem_form=None) -> dict:
    holding = selectors.holdings_of(request.user).filter(product=product).first()
    assessment = services.suitability_current(request.user)
    return {
        "product": product,
        "risk_label": RiskLevel(product.risk_level).label,
        "holding": holding,
        "quota_left": (
            max(product.instant_quota_per_day - holding.instant_redeemed_today, 0)
            if holding
            else product.instant_quota_per_day
        ),
        "assessment": assessment,
        "declared": selectors.declared_history(product),
        "subscribe_form": subscribe_form or SubscribeForm(initial={"idempotency_key": _key()}),
        "redeem_form": redeem_form
        or RedeemForm(initial={"idempotency_key": _key(), "mode": FundOrder.Mode.INSTANT}),
    }


@login_required
def product_detail(request, pk):
    product = get_object_or_404(FundProduct, pk=pk, is_active=True)
    return render(request, "wealth/product.html", _product_context(request, product))


@login_required
@require_POST
def subscribe(request, pk):
    product = get_object_or_404(FundProduct, pk=pk, is_active=True)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        try:
            order = services.fund_subscribe(
                user=request.user,
                product=product,
                amount=form.cleaned_data["amount"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            ).order
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("You bought %(amount)s of %(product)s.")
                % {
                    "amount": format_money(order.amount, order.currency),
                    "product": product.display_name(),
                },
            )
            return redirect("wealth:overview")
    context = _product_context(request, product, subscribe_form=form)
    return render(request, "wealth/product.html", context, status=400)


@login_required
@require_POST
def redeem(request, pk):
    product = get_object_or_404(FundProduct, pk=pk, is_active=True)
    form = RedeemForm(request.POST)
    if form.is_valid():
        try:
            order = services.fund_redeem(
                user=request.user,
                product=product,
                amount=form.cleaned_data["amount"],
                mode=form.cleaned_data["mode"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            ).order
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            if order.status == FundOrder.Status.PENDING:
                text = _("%(amount)s will be in your wallet on %(date)s.") % {
                    "amount": format_money(order.amount, order.currency),
                    "date": order.settle_on.isoformat(),
                }
            else:
                text = _("%(amount)s is back in your wallet.") % {
                    "amount": format_money(order.amount, order.currency)
                }
            messages.success(request, text)
            return redirect("wealth:overview")
    context = _product_context(request, product, redeem_form=form)
    return render(request, "wealth/product.html", context, status=400)


@login_required
def questionnaire(request):
    form = QuestionnaireForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                assessment = services.suitability_assess(
                    user=request.user, answers=form.cleaned_data
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    _("Your risk tolerance is %(level)s, valid for one year.")
                    % {"level": RiskLevel(assessment.risk_tolerance).label},
                )
                return redirect("wealth:overview")
        status = 400
    return render(
        request,
        "wealth/questionnaire.html",
        {"form": form, "assessment": services.suitability_current(request.user)},
        status=status,
    )
