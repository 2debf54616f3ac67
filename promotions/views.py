import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import api, points, referrals, selectors
from .forms import PointsRedeemForm, PointsVoucherForm, ReferralCodeForm
from .offers import offers_for

PAGE_SIZE = 30
VOUCHERS_SHOWN = 50


def _page_context(request, *, redeem_form=None, code_form=None, offer_errors=None) -> dict:
    page = Paginator(selectors.rewards_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    programme = points.points_programme_running()
    referral = api.referral_overview(request)
    return {
        "page": page,
        "vouchers": selectors.vouchers_usable(request.user, timezone.now())[:VOUCHERS_SHOWN],
        "offers": selectors.offers_running(timezone.now()),
        "referral": referral,
        "points_balance": selectors.points_balance(request.user),
        "points_history": selectors.points_history(request.user),
        "programme": programme,
        "redeem_form": redeem_form
        or PointsRedeemForm(
            initial={
                "points": programme.points_per_unit if programme else None,
                "idempotency_key": uuid.uuid4().hex,
            }
        ),
        "code_form": (code_form or ReferralCodeForm()) if referral["can_enter_code"] else None,
        "voucher_offers": points.voucher_offers_for_points(),
        "offer_key": uuid.uuid4().hex,
        "offer_errors": offer_errors or [],
    }


@login_required
def rewards(request):
    return render(request, "promotions/rewards.html", _page_context(request))


@login_required
def offers(request):
    """Offers for you: ranked by the customer's spending with a reason, or the general list."""
    personalised, offers = offers_for(request.user)
    return render(
        request, "promotions/offers.html", {"offers": offers, "personalised": personalised}
    )


@login_required
@require_POST
def points_redeem(request):
    form = PointsRedeemForm(request.POST)
    if form.is_valid():
        try:
            result = points.points_redeem(
                user=request.user,
                points=form.cleaned_data["points"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("%(points)d points redeemed: the cash is in your wallet.")
                % {"points": -result.entry.points},
            )
            return redirect("promotions:rewards")
    context = _page_context(request, redeem_form=form)
    return render(request, "promotions/rewards.html", context, status=400)


@login_required
@require_POST
def points_voucher(request):
    form = PointsVoucherForm(request.POST)
    errors = [_("Choose a voucher offered for points.")]
    if form.is_valid():
        try:
            result = points.points_redeem_voucher(
                user=request.user,
                campaign_id=form.cleaned_data["campaign"],
                idempotency_key=form.cleaned_data["idempotency_key"],
            )
        except ApplicationError as error:
            errors = [str(message) for message in error.fields.get("campaign", [error.detail])]
        else:
            messages.success(
                request,
                _("%(points)d points exchanged: the voucher is in your vouchers.")
                % {"points": -result.entry.points},
            )
            return redirect("promotions:rewards")
    context = _page_context(request, offer_errors=errors)
    return render(request, "promotions/rewards.html", context, status=400)


@login_required
@require_POST
def referral_enter(request):
    form = ReferralCodeForm(request.POST)
    if form.is_valid():
        try:
            referrals.referral_enter(user=request.user, code=form.cleaned_data["code"])
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _(
                    "Thank you: your friend's code is recorded. Your first payment rewards you both."
                ),
            )
            return redirect("promotions:rewards")
    context = _page_context(request, code_form=form)
    return render(request, "promotions/rewards.html", context, status=400)


def referral_link(request, code: str):
    """A shared link: keep the code for the signup (allauth's user_signed_up records it)."""
    normalized = referrals.referral_code_normalize(code)
    if request.user.is_authenticated:
        return redirect("promotions:rewards")
    if not referrals.referral_code_exists(normalized):
        messages.warning(request, _("This invitation link is not valid. You can still sign up."))
        return redirect("account_signup")
    request.session[referrals.SESSION_KEY] = normalized
    messages.info(request, _("A friend invited you. Sign up to accept the invitation."))
    return redirect("account_signup")
