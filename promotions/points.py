"""Writes of the points programme: earning on merchant payments, redeeming for wallet cash,
and expiring old points.

A customer's balance lives on one PointsAccount row, changed only under its lock and always
with a PointsEntry holding the balance after it. Earnings are keyed by the payment (a unique
constraint), so an event delivered twice earns once. Each earning keeps what of it is left
(`remaining`); redemptions spend the oldest first, and expiry takes what is left of earnings
past their date — so only old points expire.

Redemption pays cash from the programme's pool by one ledger posting, inside the campaign's
budget. Lock order: campaign row, then points account, then (ledger.post) ledger accounts.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.api_errors import ApplicationError
from wallet import events, ledger
from wallet.models import Transaction, Wallet
from wallet.money import quantize
from wallet.services.common import (
    idempotency_key_clean,
    refuse_unless_active,
    request_fingerprint,
    wallet_account_ensure,
    wallet_get_or_create,
)

from . import services
from .models import Campaign, PointsAccount, PointsEntry, PointsMultiplier

logger = logging.getLogger(__name__)

MAX_REDEEM_POINTS = 10_000_000


def points_programme_running(now=None) -> Campaign | None:
    now = now or timezone.now()
    return (
        Campaign.objects.filter(
            kind=Campaign.Kind.POINTS, is_active=True, starts_at__lte=now, ends_at__gt=now
        )
        .order_by("starts_at", "pk")
        .first()
    )


def points_for(*, campaign: Campaign, amount: Decimal, category: str) -> int:
    """Points for spending `amount` CNY in `category`: rate × multiplier, fractions dropped."""
    rule = PointsMultiplier.objects.filter(campaign=campaign, category=category).first()
    multiplier = rule.multiplier if rule else Decimal(1)
    raw = Decimal(amount) * campaign.points_per_cny * multiplier
    return int(raw.to_integral_value(rounding=ROUND_FLOOR))


def _account_locked(user_id: int) -> PointsAccount:
    PointsAccount.objects.get_or_create(user_id=user_id)
    return PointsAccount.objects.select_for_update().get(user_id=user_id)


def points_earn(
    *, user_id: int, payment: Transaction, amount: Decimal, category: str, now=None
) -> PointsEntry | None:
    """In the payment's outbox row: credit the points a merchant payment earned, once."""
    now = now or timezone.now()
    campaign = points_programme_running(now)
    if campaign is None:
        return None
    points = points_for(campaign=campaign, amount=amount, category=category)
    if points <= 0:
        return None
    account = _account_locked(user_id)
    earlier = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARNED, transaction=payment).first()
    if earlier is not None:
        return earlier  # the event came again: the account's lock made this check race-free
    if Transaction.objects.filter(reverses=payment).exists():
        return None  # reversed before its points were credited (read under the account's lock)
    account.balance += points
    account.save(update_fields=["balance", "updated_at"])
    return PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.EARNED,
        points=points,
        balance_after=account.balance,
        remaining=points,
        expires_at=now + timedelta(days=campaign.points_valid_days),
        transaction=payment,
        description=payment.description[:200],
        created_at=now,
    )


def points_bonus_credit(*, grant, campaign: Campaign, now=None) -> PointsEntry:
    """Settle an activation bonus paid in points, in the grant's settlement (campaign and grant
    rows locked by the caller, the grant pending): credit the points once and mark the grant
    paid. The budget already holds their cash value; no money moves until they are redeemed
    (from the running points programme's pool, like any points)."""
    now = now or timezone.now()
    account = _account_locked(grant.user_id)
    account.balance += grant.points
    account.save(update_fields=["balance", "updated_at"])
    entry = PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.EARNED,
        points=grant.points,
        balance_after=account.balance,
        remaining=grant.points,
        expires_at=now + timedelta(days=campaign.points_valid_days),
        grant=grant,
        description=campaign.name[:200],
        created_at=now,
    )
    grant.status = grant.Status.SETTLED
    grant.settled_at = now
    grant.reason = ""
    grant.save(update_fields=["status", "settled_at", "reason"])
    _notify_points_bonus(grant, campaign)
    return entry


def _notify_points_bonus(grant, campaign: Campaign) -> None:
    from django.urls import reverse

    from notifications.models import Notification
    from notifications.services import notify

    notify(
        user=grant.user,
        kind=Notification.Kind.TRANSACTION,
        title=_("Points in: %(points)d") % {"points": grant.points},
        body=_("%(campaign)s: %(points)d points were added to your balance.")
        % {"campaign": campaign.name, "points": grant.points},
        dedupe_key=f"reward-points:{grant.pk}",
        link=reverse("promotions:rewards"),
    )


def points_clawback(*, user_id: int, payment: Transaction, now=None) -> PointsEntry | None:
    """Take back the points a reversed payment earned, once, by a new entry (old ones are never
    edited but for their `remaining`). What the customer already redeemed or lost to expiry is
    not taken twice: the balance goes down to zero at most and the rest is recorded as the
    entry's `shortfall` (the cash paid for redeemed points stays paid)."""
    now = now or timezone.now()
    earning = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARNED, transaction=payment).first()
    if earning is None:
        return None  # it earned nothing (or not yet: earning checks for the reversal)
    account = _account_locked(user_id)
    earlier = PointsEntry.objects.filter(
        kind=PointsEntry.Kind.CLAWED_BACK, transaction=payment
    ).first()
    if earlier is not None:
        return earlier  # the reversal came again
    earning = PointsEntry.objects.get(pk=earning.pk)  # its remaining, read under the lock
    take = min(earning.points, account.balance)
    from_earning = min(take, earning.remaining)
    if from_earning:
        earning.remaining -= from_earning
        earning.save(update_fields=["remaining"])
    if take > from_earning:
        _spend_oldest_first(account, take - from_earning, now)
    account.balance -= take
    account.save(update_fields=["balance", "updated_at"])
    shortfall = earning.points - take
    if shortfall:
        logger.warning(
            "points account %s: %s points of reversed payment %s already spent",
            account.pk,
            shortfall,
            payment.pk,
        )
    return PointsEntry.objects.create(
        account=account,
        campaign_id=earning.campaign_id,
        kind=PointsEntry.Kind.CLAWED_BACK,
        points=-take,
        balance_after=account.balance,
        transaction=payment,
        shortfall=shortfall,
        description=payment.description[:200],
        created_at=now,
    )


def _spend_oldest_first(account: PointsAccount, points: int, now) -> None:
    """Take `points` from the remaining of unexpired earnings, those expiring first first."""
    left = points
    earnings = PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.EARNED, remaining__gt=0, expires_at__gt=now
    ).order_by("expires_at", "pk")
    for earning in earnings:
        take = min(left, earning.remaining)
        earning.remaining -= take
        earning.save(update_fields=["remaining"])
        left -= take
        if left == 0:
            return
    # The balance said there was enough: an earning past its date that expiry has not run for
    # yet is still in the balance, so it is spent last rather than refusing the customer.
    for earning in PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.EARNED, remaining__gt=0
    ).order_by("expires_at", "pk"):
        take = min(left, earning.remaining)
        earning.remaining -= take
        earning.save(update_fields=["remaining"])
        left -= take
        if left == 0:
            return


@dataclass(frozen=True)
class Redemption:
    entry: PointsEntry
    replayed: bool


def _points_error(message: str, code: str, status_code=None) -> ApplicationError:
    return ApplicationError(
        message, code=code, fields={"points": [message]}, status_code=status_code
    )


def _earlier_redemption(user: User, key: str, fingerprint: str) -> PointsEntry | None:
    earlier = (
        PointsEntry.objects.filter(account__user=user, idempotency_key=key)
        .select_related("transaction")
        .first()
    )
    if earlier is not None and earlier.request_fingerprint != fingerprint:
        raise ApplicationError(
            _("This idempotency key was already used for a different request."),
            code="idempotency_conflict",
            status_code=409,
        )
    return earlier


def points_redeem(*, user: User, points, idempotency_key: str) -> Redemption:
    """Exchange `points` (a multiple of the programme's unit) for cash in the wallet, once per
    Idempotency-Key, within the programme's budget."""
    key = idempotency_key_clean(idempotency_key)
    if isinstance(points, bool) or not isinstance(points, int):
        raise _points_error(_("Enter a whole number of points."), "points_invalid")
    fingerprint = request_fingerprint({"kind": "points_redeem", "points": points})
    earlier = _earlier_redemption(user, key, fingerprint)
    if earlier is not None:
        return Redemption(earlier, replayed=True)
    campaign = points_programme_running()
    if campaign is None:
        raise _points_error(_("No points programme is running now."), "points_no_programme")
    if points <= 0 or points > MAX_REDEEM_POINTS or points % campaign.points_per_unit:
        raise _points_error(
            _("Redeem a positive multiple of %(unit)d points.")
            % {"unit": campaign.points_per_unit},
            "points_invalid",
        )
    wallet = wallet_get_or_create(user=user)
    refuse_unless_active(wallet, field="wallet", own=True)
    target = wallet_account_ensure(wallet=wallet, currency=campaign.CURRENCY)
    pool = services.campaign_pool_ensure(campaign=campaign)
    cash = quantize(
        Decimal(points // campaign.points_per_unit) * campaign.reward_amount, campaign.CURRENCY
    )
    try:
        entry = _redeem_posting(
            user=user,
            campaign_id=campaign.pk,
            points=points,
            cash=cash,
            wallet_id=wallet.pk,
            pool=pool,
            target=target,
            key=key,
            fingerprint=fingerprint,
        )
    except IntegrityError:
        earlier = _earlier_redemption(user, key, fingerprint)
        if earlier is None:
            raise
        return Redemption(earlier, replayed=True)
    return Redemption(entry, replayed=False)


@transaction.atomic(durable=True)
def _redeem_posting(
    *, user, campaign_id, points, cash, wallet_id, pool, target, key, fingerprint
) -> PointsEntry:
    now = timezone.now()
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    account = _account_locked(user.pk)
    earlier = _earlier_redemption(user, key, fingerprint)  # a same-key twin committed first
    if earlier is not None:
        return earlier
    wallet = Wallet.objects.get(pk=wallet_id)
    refuse_unless_active(wallet, field="wallet", own=True)
    if account.balance < points:
        raise _points_error(
            _("You have %(balance)d points, fewer than %(points)d.")
            % {"balance": account.balance, "points": points},
            "points_insufficient",
        )
    if campaign.spent + cash > campaign.budget:
        raise _points_error(
            _("The points programme cannot pay out more now. Please try again later."),
            "points_budget_spent",
        )
    try:
        txn = ledger.post(
            kind=Transaction.Kind.REWARD,
            legs=[ledger.Leg(pool, -cash), ledger.Leg(target, cash)],
            initiated_by=user,
            description=f"Points redeemed: {campaign.name}"[:200],
            metadata={
                "campaign": campaign.pk,
                "points_redeemed": points,
                "from_name": campaign.name,
                "to_wallet": wallet.handle,
            },
        )
    except ledger.InsufficientFunds:
        raise _points_error(
            _("The points programme cannot pay out more now. Please try again later."),
            "points_pool_empty",
        ) from None
    Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") + cash)
    _spend_oldest_first(account, points, now)
    account.balance -= points
    account.save(update_fields=["balance", "updated_at"])
    entry = PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.REDEEMED,
        points=-points,
        balance_after=account.balance,
        transaction=txn,
        idempotency_key=key,
        request_fingerprint=fingerprint,
        description=f"{cash} {campaign.CURRENCY}",
        created_at=now,
    )
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)  # the usual "money in" alert
    return entry


# --- points for a voucher ----------------------------------------------------------------------


def voucher_offers_for_points(now=None) -> list[Campaign]:
    """Running voucher campaigns with a price in points, cheapest first (one query)."""
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(
            reward_type=Campaign.RewardType.VOUCHER,
            points_price__isnull=False,
            is_active=True,
            starts_at__lte=now,
            ends_at__gt=now,
        ).order_by("points_price", "pk")[:20]
    )


@dataclass(frozen=True)
class VoucherPurchase:
    entry: PointsEntry
    replayed: bool


def points_redeem_voucher(*, user: User, campaign_id, idempotency_key: str) -> VoucherPurchase:
    """Exchange the campaign's price in points for one of its vouchers, once per
    Idempotency-Key. No money moves now: like any voucher, its discount is paid from the
    campaign's pool and counted in its budget when used."""
    key = idempotency_key_clean(idempotency_key)
    if isinstance(campaign_id, bool) or not isinstance(campaign_id, int):
        raise _voucher_offer_error(_("Choose a voucher offered for points."), "offer_invalid")
    fingerprint = request_fingerprint({"kind": "points_voucher", "campaign": campaign_id})
    earlier = _earlier_redemption(user, key, fingerprint)
    if earlier is not None:
        return VoucherPurchase(earlier, replayed=True)
    try:
        entry = _voucher_purchase(user=user, campaign_id=campaign_id, key=key, fp=fingerprint)
    except IntegrityError:
        earlier = _earlier_redemption(user, key, fingerprint)
        if earlier is None:
            raise
        return VoucherPurchase(earlier, replayed=True)
    return VoucherPurchase(entry, replayed=False)


def _voucher_offer_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"campaign": [message]})


@transaction.atomic(durable=True)
def _voucher_purchase(*, user, campaign_id: int, key: str, fp: str) -> PointsEntry:
    from .vouchers import voucher_issue

    now = timezone.now()
    campaign = Campaign.objects.select_for_update().filter(pk=campaign_id).first()
    offered = (
        campaign is not None
        and campaign.reward_type == Campaign.RewardType.VOUCHER
        and campaign.points_price
        and campaign.is_active
        and campaign.starts_at <= now < campaign.ends_at
    )
    if not offered:
        raise _voucher_offer_error(_("This voucher is not offered for points now."), "offer_gone")
    account = _account_locked(user.pk)
    earlier = _earlier_redemption(user, key, fp)  # a same-key twin committed first
    if earlier is not None:
        return earlier
    if not services._eligible(campaign, user, now):
        raise _voucher_offer_error(_("This voucher is not offered to you."), "offer_not_eligible")
    if campaign.vouchers.filter(user=user).count() >= campaign.per_customer_cap:
        raise _voucher_offer_error(
            _("You already have as many of these vouchers as a customer can get."),
            "offer_cap_reached",
        )
    price = campaign.points_price
    if account.balance < price:
        raise _voucher_offer_error(
            _("You have %(balance)d points, fewer than %(points)d.")
            % {"balance": account.balance, "points": price},
            "points_insufficient",
        )
    voucher = voucher_issue(campaign=campaign, user=user, now=now)
    _spend_oldest_first(account, price, now)
    account.balance -= price
    account.save(update_fields=["balance", "updated_at"])
    return PointsEntry.objects.create(
        account=account,
        campaign=campaign,
        kind=PointsEntry.Kind.REDEEMED,
        points=-price,
        balance_after=account.balance,
        voucher=voucher,
        idempotency_key=key,
        request_fingerprint=fp,
        description=f"{campaign.name} · {voucher.label}"[:200],
        created_at=now,
    )


def points_expire(*, now=None) -> int:
    """Expire what is left of earnings past their date; one transaction per customer. Returns
    how many points expired. Running it twice expires nothing more."""
    now = now or timezone.now()
    account_ids = (
        PointsEntry.objects.filter(
            kind=PointsEntry.Kind.EARNED, remaining__gt=0, expires_at__lte=now
        )
        .values_list("account_id", flat=True)
        .distinct()
        .order_by("account_id")
    )
    total = 0
    for account_id in list(account_ids):
        total += _expire_account(account_id=account_id, now=now)
    return total


@transaction.atomic
def _expire_account(*, account_id: int, now) -> int:
    account = PointsAccount.objects.select_for_update().get(pk=account_id)
    old = PointsEntry.objects.filter(
        account=account, kind=PointsEntry.Kind.EARNED, remaining__gt=0, expires_at__lte=now
    )
    points = old.aggregate(total=Sum("remaining"))["total"] or 0
    if points <= 0:
        return 0
    campaign_id = old.order_by("-pk").values_list("campaign_id", flat=True).first()
    old.update(remaining=0)
    account.balance -= points
    account.save(update_fields=["balance", "updated_at"])
    PointsEntry.objects.create(
        account=account,
        campaign_id=campaign_id,
        kind=PointsEntry.Kind.EXPIRED,
        points=-points,
        balance_after=account.balance,
        created_at=now,
    )
    logger.info("points account %s: %s points expired", account_id, points)
    return points
