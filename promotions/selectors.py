"""Reads of promotions: a customer's rewards, and the figures the admin shows per campaign."""

from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat

from wallet.models import AMOUNT, LedgerAccount

from .models import Campaign, PointsAccount, PointsEntry, Referral, RewardGrant


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
