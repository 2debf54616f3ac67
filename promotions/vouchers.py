"""Discounts at payment time: a merchant's discount campaign (满减) and the customer's vouchers.

The wallet asks its discount providers (wallet.services.payments.register_discount_provider)
what a payment earns; this module is promotions' provider. One discount per payment: the
voucher the customer chose, otherwise the best running discount of the merchant; they never
stack. The merchant still receives the full amount; the campaign's pool pays the discount in
the payment's own ledger transaction.

Reserving runs inside the payment's transaction, after the wallet locked the payer's wallet
row. Lock order: wallet row, voucher row, campaign row, then (through ledger.post) ledger
accounts by id. The discount is counted in the campaign's `spent` under the campaign's lock,
so concurrent payments never give more than the budget; the pool's balance only falls under
that same lock (grant settlements and discounts take it), so reading it there is reliable.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.api_errors import ApplicationError
from wallet.models import LedgerAccount, Merchant, Transaction
from wallet.money import quantize
from wallet.services.payments import (
    Discount,
    register_discount_provider,
    register_voucher_lister,
)

from . import audit
from .models import Campaign, Redemption, Voucher
from .services import _eligible, campaign_pool_ensure


def _refuse(message: str, code: str):
    raise ApplicationError(message, code=code, fields={"voucher": [message]})


# --- issuing ------------------------------------------------------------------------------


def voucher_issue(*, campaign: Campaign, user: User, now=None) -> Voucher:
    """Give `user` a voucher with the campaign's terms. The terms are copied: editing the
    campaign later never changes a voucher a customer already holds."""
    now = now or timezone.now()
    voucher = Voucher.objects.create(
        campaign=campaign,
        user=user,
        benefit=campaign.benefit,
        amount=campaign.reward_amount if campaign.benefit == Campaign.Benefit.FIXED else None,
        percent=campaign.percent if campaign.benefit == Campaign.Benefit.PERCENT else None,
        min_spend=campaign.min_spend,
        max_discount=campaign.max_discount,
        merchant_categories=list(campaign.merchant_categories or []),
        currency=campaign.CURRENCY,
        expires_at=now + timedelta(days=campaign.voucher_valid_days),
    )
    merchant_ids = list(campaign.merchants.values_list("pk", flat=True))
    if merchant_ids:
        voucher.merchants.set(merchant_ids)
    return voucher


def vouchers_issue(
    *, campaign: Campaign, emails: list[str], issued_by=None, request=None
) -> tuple[int, list[str]]:
    """Give each listed customer a voucher, within the campaign's rewards per customer.
    Returns how many were issued and the addresses that got none (unknown or at the cap).

    Audited (who, role, campaign, how many, their value) in the same transaction; a refusal is
    audited in a transaction of its own and re-raised."""
    try:
        return _vouchers_issue(
            campaign=campaign, emails=emails, issued_by=issued_by, request=request
        )
    except ApplicationError as exc:
        with transaction.atomic(durable=True):
            audit.money_action_record(
                actor=issued_by,
                action=audit.ISSUE_VOUCHERS,
                campaign=campaign,
                outcome=audit.REFUSED,
                detail={"requested": len(emails)},
                reason=str(exc.detail)[:255],
                request=request,
            )
        raise


@transaction.atomic(durable=True)
def _vouchers_issue(*, campaign, emails, issued_by, request) -> tuple[int, list[str]]:
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.reward_type != Campaign.RewardType.VOUCHER:
        raise ApplicationError(
            _("Only a campaign whose reward type is voucher issues vouchers."),
            code="campaign_not_voucher",
        )
    wanted = {email.strip().lower() for email in emails if email.strip()}
    users = {u.email.lower(): u for u in User.objects.filter(email__in=wanted)}
    issued, skipped = 0, []
    for email in sorted(wanted):
        user = users.get(email)
        if user is None or campaign.vouchers.filter(user=user).count() >= campaign.per_customer_cap:
            skipped.append(email)
            continue
        voucher_issue(campaign=campaign, user=user)
        issued += 1
    fixed = campaign.benefit == Campaign.Benefit.FIXED
    audit.money_action_record(
        actor=issued_by,
        action=audit.ISSUE_VOUCHERS,
        campaign=campaign,
        outcome=audit.OK,
        detail={
            "requested": len(wanted),
            "issued": issued,
            "skipped": len(skipped),
            # A percent voucher's value is only known at payment: its terms are recorded.
            "voucher_value": _money_text(campaign.reward_amount if fixed else None),
            "percent": str(campaign.percent) if campaign.percent is not None else None,
            "max_discount": _money_text(campaign.max_discount),
            "total_value": _money_text(campaign.reward_amount * issued if fixed else None),
            "currency": campaign.CURRENCY,
        },
        request=request,
    )
    return issued, skipped


def _money_text(amount) -> str | None:
    return None if amount is None else str(quantize(amount, Campaign.CURRENCY))


def vouchers_expire(*, now=None) -> int:
    """Mark vouchers past their expiry as expired (a voucher is refused once expired anyway)."""
    now = now or timezone.now()
    return Voucher.objects.filter(status=Voucher.Status.AVAILABLE, expires_at__lte=now).update(
        status=Voucher.Status.EXPIRED
    )


# --- the discount provider -------------------------------------------------------------------


def payment_discount(
    *, payer_user, merchant: Merchant, amount: Decimal, currency: str, voucher, reserve: bool
) -> Discount | None:
    if voucher is not None:
        return _voucher_discount(
            user=payer_user,
            merchant=merchant,
            amount=amount,
            currency=currency,
            voucher_id=voucher,
            reserve=reserve,
        )
    if currency != Campaign.CURRENCY:
        return None
    return _campaign_discount(user=payer_user, merchant=merchant, amount=amount, reserve=reserve)


def _voucher_discount(*, user, merchant, amount, currency, voucher_id, reserve) -> Discount:
    vouchers = Voucher.objects.filter(pk=voucher_id, user=user)
    if reserve:
        vouchers = vouchers.select_for_update(of=("self",))
    voucher = vouchers.first()
    if voucher is None:
        _refuse(_("You have no such voucher."), "voucher_not_found")
    if voucher.status == Voucher.Status.USED:
        _refuse(_("This voucher has already been used."), "voucher_used")
    if voucher.effective_status == Voucher.Status.EXPIRED:
        _refuse(_("This voucher has expired."), "voucher_expired")
    if currency != voucher.currency:
        _refuse(
            _("This voucher is for %(currency)s payments only.") % {"currency": voucher.currency},
            "voucher_currency",
        )
    if not voucher.targets(merchant):
        _refuse(_("This voucher cannot be used at this merchant."), "voucher_merchant")
    if amount < voucher.min_spend:
        _refuse(
            _("This voucher needs a payment of at least %(min)s %(currency)s.")
            % {"min": quantize(voucher.min_spend, voucher.currency), "currency": voucher.currency},
            "voucher_min_spend",
        )
    off = voucher.benefit_for(amount)
    campaign = _campaign_for(voucher.campaign_id, reserve)
    if not _affordable(campaign, off):
        _refuse(
            _("This voucher cannot be used right now: its campaign has run out of money."),
            "voucher_budget_spent",
        )
    if not reserve:
        return Discount(amount=off, label=voucher.label)
    discount = Discount(
        amount=off,
        account=campaign_pool_ensure(campaign=campaign),
        label=voucher.label,
        metadata={"campaign": campaign.pk, "voucher": voucher.pk},
    )

    def mark_used(txn: Transaction) -> None:
        # The discount may have been capped below the payment: count what was really given.
        _spend(campaign, discount.amount)
        Voucher.objects.filter(pk=voucher.pk).update(
            status=Voucher.Status.USED, used_by_transaction=txn, used_at=timezone.now()
        )
        Redemption.objects.create(
            campaign=campaign, user=user, voucher=voucher, transaction=txn, amount=discount.amount
        )

    discount.on_posted = mark_used
    return discount


def _campaign_discount(*, user, merchant, amount, reserve) -> Discount | None:
    """The best running discount of the merchant the customer is eligible for, if any."""
    now = timezone.now()
    candidates = (
        Campaign.objects.filter(
            kind=Campaign.Kind.MERCHANT_DISCOUNT,
            reward_type=Campaign.RewardType.CASH,
            is_active=True,
            starts_at__lte=now,
            ends_at__gt=now,
            min_kyc_level__lte=user.kyc_level,
            min_spend__lte=amount,
        )
        .prefetch_related("merchants")
        .order_by("pk")
    )
    offers = [
        (campaign.benefit_for(amount), campaign)
        for campaign in candidates
        if campaign.targets(merchant)
    ]
    # Largest first; the oldest campaign wins a tie, so the choice is stable.
    offers.sort(key=lambda offer: (-offer[0], offer[1].pk))
    for off, candidate in offers:
        if off <= 0:
            continue
        campaign = _campaign_for(candidate.pk, reserve)
        if not campaign.is_active or not _eligible(campaign, user, now):
            continue
        used = Redemption.objects.filter(campaign=campaign, user=user, voucher=None).count()
        if used >= campaign.per_customer_cap or not _affordable(campaign, off):
            continue
        return _campaign_discount_for(campaign, user, off, reserve)
    return None


def _campaign_discount_for(campaign, user, off, reserve) -> Discount:
    label = campaign.name
    if not reserve:
        return Discount(amount=off, label=label)
    discount = Discount(
        amount=off,
        account=campaign_pool_ensure(campaign=campaign),
        label=label,
        metadata={"campaign": campaign.pk},
    )

    def record(txn: Transaction) -> None:
        _spend(campaign, discount.amount)
        Redemption.objects.create(
            campaign=campaign, user=user, transaction=txn, amount=discount.amount
        )

    discount.on_posted = record
    return discount


def _campaign_for(campaign_id: int, reserve: bool) -> Campaign:
    campaigns = Campaign.objects.all()
    if reserve:
        campaigns = campaigns.select_for_update()
    return campaigns.get(pk=campaign_id)


def _affordable(campaign: Campaign, off: Decimal) -> bool:
    """Within the budget and within the pool's money (read under the campaign's lock)."""
    if campaign.spent + off > campaign.budget:
        return False
    pool = LedgerAccount.objects.filter(
        code=campaign.pool_code, currency=campaign.CURRENCY, shard=0
    ).values_list("balance", flat=True)
    return bool(pool) and pool[0] >= off


def _spend(campaign: Campaign, amount: Decimal) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") + amount)


def voucher_choices_of(user) -> list[tuple[int, str]]:
    from .selectors import vouchers_usable

    return [
        (voucher.pk, f"{voucher.label} · {voucher.campaign.name}")
        for voucher in vouchers_usable(user, timezone.now())[:50]
    ]


def connect() -> None:
    register_discount_provider(payment_discount)
    register_voucher_lister(voucher_choices_of)
