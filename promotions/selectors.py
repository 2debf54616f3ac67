"""Reads of promotions: a customer's rewards, and the figures the admin shows per campaign."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Case,
    CharField,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Concat, TruncDate

from wallet.models import AMOUNT, LedgerAccount, Transaction

from .models import (
    Campaign,
    PointsAccount,
    PointsEntry,
    Redemption,
    Referral,
    RewardGrant,
    Voucher,
)


def rewards_of(user) -> QuerySet[RewardGrant]:
    return (
        RewardGrant.objects.filter(user=user)
        .select_related("campaign")
        .order_by("-created_at", "-id")
    )


def campaigns_with_figures() -> QuerySet[Campaign]:
    """Campaigns with their grants count and pool balance, in one query."""
    pool = LedgerAccount.objects.filter(
        kind=LedgerAccount.Kind.CAMPAIGN_POOL,
        currency=Campaign.CURRENCY,
        code=Concat(Value("campaign:"), Cast(OuterRef("pk"), CharField())),
    ).values("balance")[:1]
    return Campaign.objects.annotate(
        grants_count=Count("grants"),
        pool_balance=Coalesce(
            Subquery(pool, output_field=DecimalField(**AMOUNT)),
            Value(Decimal("0")),
            output_field=DecimalField(**AMOUNT),
        ),
    )


def campaign_pool_balance(campaign: Campaign) -> Decimal:
    account = LedgerAccount.objects.filter(
        code=campaign.pool_code, currency=campaign.CURRENCY
    ).first()
    return account.balance if account else Decimal("0")


@dataclass
class CampaignResults:
    participants: int  # customers with a reward, a voucher or a discount, whatever its state
    paid: int  # rewards paid, but for those taken back in full (their payment was reversed)
    rewarded: int  # customers with a paid reward
    pending: int
    failed: int
    # Paid out of the pool and not taken back: grants (for points, their cash value), discounts.
    cost: Decimal
    points: int  # points given by a campaign rewarding points
    spent_since: int  # rewarded customers who made a payment after their reward
    days: list[dict]  # per day: date, rewards paid and discounts given, cost
    discounts: int = 0  # discounts taken off at checkout (automatic or by voucher), not reversed
    vouchers_issued: int = 0
    vouchers_used: int = 0

    @property
    def cost_per_reward(self) -> Decimal | None:
        given = self.paid + self.discounts
        return (self.cost / given).quantize(Decimal("0.01")) if given else None

    @property
    def spent_since_rate(self) -> Decimal | None:
        """Share of rewarded customers who paid with the wallet afterwards, in percent."""
        if not self.rewarded:
            return None
        return (Decimal(self.spent_since * 100) / self.rewarded).quantize(Decimal("0.1"))

    @property
    def voucher_redemption_rate(self) -> Decimal | None:
        """Share of the campaign's vouchers used at a payment, in percent."""
        if not self.vouchers_issued:
            return None
        return (Decimal(self.vouchers_used * 100) / self.vouchers_issued).quantize(Decimal("0.1"))


def grants_given(grants):
    """Grants without those taken back in full: a reward whose payment was reversed and that
    came back whole was never really given (the KPI dashboards count campaigns the same way)."""
    return grants.exclude(clawback_transaction__isnull=False, clawback_shortfall=0)


def grant_cost():
    """What a grant cost the campaign: its amount, or, taken back in part, what stayed with the
    customer."""
    return Case(
        When(clawback_transaction__isnull=False, then=F("clawback_shortfall")),
        default=F("amount"),
        output_field=DecimalField(**AMOUNT),
    )


def campaign_results(campaign: Campaign) -> CampaignResults:
    """The figures of the campaign's results page, in seven queries whatever its size."""
    from accounts.models import User

    all_grants = RewardGrant.objects.filter(campaign=campaign)
    grants = grants_given(all_grants)
    cost_of_grant = grant_cost()
    settled = RewardGrant.Status.SETTLED
    totals = grants.aggregate(
        paid=Count("pk", filter=Q(status=settled)),
        rewarded=Count("user", distinct=True, filter=Q(status=settled)),
        pending=Count("pk", filter=Q(status=RewardGrant.Status.PENDING)),
        failed=Count("pk", filter=Q(status=RewardGrant.Status.FAILED)),
        cost=Coalesce(Sum(cost_of_grant, filter=Q(status=settled)), Value(Decimal("0"))),
        points=Coalesce(Sum("points", filter=Q(status=settled)), Value(0)),
    )
    # Discounts a reversal gave back (to the pool and the budget) are not a cost.
    redemptions = Redemption.objects.filter(campaign=campaign, reversed_by__isnull=True)
    given = redemptions.aggregate(
        discounts=Count("pk"), cost=Coalesce(Sum("amount"), Value(Decimal("0")))
    )
    vouchers = Voucher.objects.filter(campaign=campaign).aggregate(
        vouchers_issued=Count("pk"),
        vouchers_used=Count("pk", filter=Q(status=Voucher.Status.USED)),
    )
    participants = User.objects.filter(
        Exists(all_grants.filter(user=OuterRef("pk")))
        | Exists(Voucher.objects.filter(campaign=campaign, user=OuterRef("pk")))
        | Exists(Redemption.objects.filter(campaign=campaign, user=OuterRef("pk")))
    ).count()
    paid_later = Transaction.objects.filter(
        initiated_by=OuterRef("user"),
        kind__in=(Transaction.Kind.PAYMENT, Transaction.Kind.BILL),
        created_at__gt=OuterRef("settled_at"),
    )
    spent_since = (
        grants.filter(status=settled).filter(Exists(paid_later)).values("user").distinct().count()
    )
    by_day: dict = {}
    daily = (
        grants.filter(status=settled)
        .annotate(day=TruncDate("settled_at"))
        .values("day")
        .annotate(count=Count("pk"), cost=Sum(cost_of_grant))
        .order_by("day"),
        redemptions.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(count=Count("pk"), cost=Sum("amount"))
        .order_by("day"),
    )
    for rows in daily:
        for row in rows:
            day = by_day.setdefault(row["day"], {"day": row["day"], "count": 0, "cost": 0})
            day["count"] += row["count"]
            day["cost"] += row["cost"]
    totals["cost"] += given["cost"]
    return CampaignResults(
        participants=participants,
        spent_since=spent_since,
        days=[by_day[day] for day in sorted(by_day)],
        discounts=given["discounts"],
        **vouchers,
        **totals,
    )


# --- vouchers and discounts ----------------------------------------------------------------


def vouchers_of(user) -> QuerySet[Voucher]:
    """The customer's vouchers, the soonest to expire first; merchants in one more query."""
    return (
        Voucher.objects.filter(user=user)
        .select_related("campaign")
        .prefetch_related("merchants")
        .order_by("expires_at", "id")
    )


def offers_running(now, *, limit: int = 20) -> list[Campaign]:
    """Discounts taken off at checkout right now, with money left: what the customer can use
    without a voucher. Merchants in one more query."""
    return list(
        Campaign.objects.filter(
            kind=Campaign.Kind.MERCHANT_DISCOUNT,
            reward_type=Campaign.RewardType.CASH,
            is_active=True,
            starts_at__lte=now,
            ends_at__gt=now,
            spent__lt=F("budget"),
        )
        .prefetch_related("merchants")
        .order_by("ends_at", "pk")[:limit]
    )


def vouchers_usable(user, now) -> QuerySet[Voucher]:
    return vouchers_of(user).filter(status=Voucher.Status.AVAILABLE, expires_at__gt=now)


def discount_campaigns_overlapping(
    *, exclude_pk, starts_at, ends_at, merchants, categories
) -> list[Campaign]:
    """Running-at-checkout merchant discounts whose schedule and merchants overlap these.

    Two discounts overlap when their schedules intersect and some payment could meet both
    merchant conditions: one applies everywhere, they name a common merchant or category, or
    one names a merchant of a category the other names.
    """
    others = (
        Campaign.objects.filter(
            kind=Campaign.Kind.MERCHANT_DISCOUNT,
            reward_type=Campaign.RewardType.CASH,
            is_active=True,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .exclude(pk=exclude_pk)
        .prefetch_related("merchants")
        .order_by("pk")
    )
    mine_ids = {m.pk for m in merchants}
    mine_categories = set(categories or []) | {m.category for m in merchants}
    clashes = []
    for other in others:
        their = list(other.merchants.all())
        their_ids = {m.pk for m in their}
        their_categories = set(other.merchant_categories or []) | {m.category for m in their}
        everywhere = not (mine_ids or categories) or not (their_ids or other.merchant_categories)
        same_merchant = bool(mine_ids & their_ids)
        by_category = bool(set(categories or []) & their_categories) or bool(
            set(other.merchant_categories or []) & mine_categories
        )
        if everywhere or same_merchant or by_category:
            clashes.append(other)
    return clashes


# --- referrals and points (issue 5) ------------------------------------------------------------


def referral_counts(user) -> dict[str, int]:
    """How many customers `user` referred, by state, in one query."""
    return Referral.objects.filter(referrer=user).aggregate(
        referred=Count("pk"),
        rewarded=Count("pk", filter=Q(status=Referral.Status.REWARDED)),
        pending=Count("pk", filter=Q(status=Referral.Status.PENDING)),
        refused=Count("pk", filter=Q(status=Referral.Status.REFUSED)),
    )


def referral_of_referee(user):
    return Referral.objects.filter(referee=user).first()


POINTS_HISTORY_SIZE = 20


def points_balance(user) -> int:
    return PointsAccount.objects.filter(user=user).values_list("balance", flat=True).first() or 0


def points_history(user, *, limit: int = POINTS_HISTORY_SIZE) -> list:
    return list(
        PointsEntry.objects.filter(account__user=user).order_by("-created_at", "-id")[:limit]
    )
