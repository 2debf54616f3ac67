"""Keeps the KPI roll-up tables (backoffice/models_kpi.py) current.

`refresh()` is incremental: it recomputes only the days something touched since the last run
(new transactions by id, late commits and back-dated transactions by their own day, the
original's day of a new reversal, days that had pending or held transactions, new sign-ups and
activations, grants, vouchers and discounts, the sign-up days of the customers a campaign
reached) and every day that depends on them (MAU looks 30 days back, retention 5 weeks). A day is recomputed whole from the base tables (facts.py) and its
rows replaced, so running it twice changes nothing. `rebuild()` does the same for a range.
"""

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.models import User
from promotions.models import Redemption, RewardGrant, Voucher
from wallet.models import Transaction

from ..models_kpi import (
    KpiActivationDelayDaily,
    KpiActiveDaily,
    KpiCampaignCohortDaily,
    KpiCampaignDaily,
    KpiCohortDaily,
    KpiRefreshState,
    KpiTransactionDaily,
)
from . import activation, campaign_attribution, facts
from .definitions import RETENTION_WEEKS

# Commits may land a little after their created_at: look back this far at each run.
LATE_COMMIT_SECONDS = 300
ACTIVE_WINDOW_DAYS = 30
COHORT_WINDOW_DAYS = 7 * RETENTION_WEEKS + 7
TABLES = (
    KpiTransactionDaily,
    KpiActiveDaily,
    KpiCohortDaily,
    KpiCampaignDaily,
    KpiActivationDelayDaily,
    KpiCampaignCohortDaily,
)


def _days_of(qs, field: str) -> set[date]:
    return set(
        qs.annotate(kpi_day=TruncDate(field, tzinfo=facts.bank_tz()))
        .values_list("kpi_day", flat=True)
        .distinct()
    )


def _today() -> date:
    return facts.local_day(timezone.now())


def _spread(days: set[date], before: int, after: int, today: date) -> set[date]:
    return {
        day + timedelta(days=offset)
        for day in days
        for offset in range(-before, after + 1)
        if day + timedelta(days=offset) <= today
    }


def _recompute(*, txn_days, active_days, cohort_days, campaign_days, reached_days=()) -> None:
    """Replace the rows of the given days with freshly computed ones, a run of days at a time."""
    rename = {"d": "day", "br": "branch_id", "st": "staff_id"}

    def fields(row, extra=()):
        return {rename.get(key, key): value for key, value in row.items() if key not in extra}

    def replace(model, days, rows_of_range, make=None):
        make = make or (lambda row: model(**fields(row)))
        model.objects.filter(day__in=days).delete()
        for start, end in facts.contiguous_ranges(days):
            model.objects.bulk_create(
                (make(row) for row in rows_of_range(start, end)), batch_size=1000
            )

    replace(
        KpiTransactionDaily,
        txn_days,
        facts.transaction_rows,
        lambda row: KpiTransactionDaily(
            day=row["d"],
            branch_id=row["br"],
            staff_id=row["st"],
            channel=row["chan"],
            kind=row["k"],
            currency=row["cur"],
            count=row["count"],
            amount=row["amount"],
        ),
    )
    replace(
        KpiActiveDaily,
        active_days,
        lambda start, end: [
            *facts.active_counts(start, end),
            *facts.active_counts(start, end, by_channel=True),
        ],
        lambda row: KpiActiveDaily(**fields(row, extra=("chan",)), channel=row.get("chan", "")),
    )
    replace(KpiCohortDaily, cohort_days, facts.cohort_rows)
    replace(KpiCampaignDaily, campaign_days, facts.campaign_rows)
    replace(KpiActivationDelayDaily, cohort_days, activation.delay_rows)
    # by sign-up day: the cohorts redone above, and those of customers a campaign just reached
    replace(
        KpiCampaignCohortDaily,
        set(cohort_days) | set(reached_days),
        campaign_attribution.attribution_rows,
    )


def _first_day() -> date:
    candidates = [
        Transaction.objects.order_by("created_at").values_list("created_at", flat=True).first(),
        User.objects.order_by("date_joined").values_list("date_joined", flat=True).first(),
        RewardGrant.objects.exclude(settled_at=None)
        .order_by("settled_at")
        .values_list("settled_at", flat=True)
        .first(),
        Voucher.objects.order_by("created_at").values_list("created_at", flat=True).first(),
    ]
    moments = [moment for moment in candidates if moment]
    return facts.local_day(min(moments)) if moments else _today()


def _open_days() -> list[str]:
    pending = Transaction.objects.filter(
        status__in=(Transaction.Status.PENDING, Transaction.Status.HELD)
    )
    return sorted(day.isoformat() for day in _days_of(pending, "created_at"))


def _reached_days(since) -> set[date]:
    """Sign-up days of the customers a campaign reached (or stopped reaching: a discount taken
    back) since the last run: their cohort's attribution changed."""
    reached = (
        RewardGrant.objects.filter(settled_at__gte=since).values("user_id"),
        Voucher.objects.filter(created_at__gte=since).values("user_id"),
        Redemption.objects.filter(created_at__gte=since).values("user_id"),
        Redemption.objects.filter(reversed_by__created_at__gte=since).values("user_id"),
    )
    touched = Q()
    for users in reached:
        touched |= Q(pk__in=users)
    return _days_of(User.objects.filter(touched), "date_joined")


@transaction.atomic
def rebuild(start: date | None = None, end: date | None = None) -> int:
    """Recompute every roll-up row of [start, end] (default: all history to today). Idempotent.
    A full rebuild also moves the refresh's watermark to now. Returns the days recomputed."""
    state, _created = KpiRefreshState.objects.select_for_update().get_or_create(pk=1)
    full = start is None and end is None
    now = timezone.now()
    max_txn = Transaction.objects.aggregate(m=Max("pk"))["m"] or 0
    max_user = User.objects.aggregate(m=Max("pk"))["m"] or 0
    start = start or _first_day()
    end = end or _today()
    days = {start + timedelta(days=i) for i in range((end - start).days + 1)}
    if full:
        for table in TABLES:
            table.objects.all().delete()
    _recompute(txn_days=days, active_days=days, cohort_days=days, campaign_days=days)
    if full:
        state.last_transaction_id = max_txn
        state.last_user_id = max_user
        state.open_days = _open_days()
        state.refreshed_at = now
        state.updated_at = now
        state.save()
    return len(days)


@transaction.atomic
def refresh() -> int:
    """Bring the roll-ups up to date with what changed since the last run. Returns the number
    of days recomputed (all tables together)."""
    state, _created = KpiRefreshState.objects.select_for_update().get_or_create(pk=1)
    if state.refreshed_at is None:
        return rebuild()
    now = timezone.now()
    today = facts.local_day(now)
    since = state.refreshed_at - timedelta(seconds=LATE_COMMIT_SECONDS)
    max_txn = Transaction.objects.aggregate(m=Max("pk"))["m"] or state.last_transaction_id
    max_user = User.objects.aggregate(m=Max("pk"))["m"] or state.last_user_id

    new_txns = Transaction.objects.filter(
        Q(pk__gt=state.last_transaction_id, pk__lte=max_txn) | Q(created_at__gte=since)
    )
    txn_days = _days_of(new_txns, "created_at")
    txn_days |= _days_of(
        Transaction.objects.filter(reversed_by__in=new_txns.filter(reverses__isnull=False)),
        "created_at",
    )
    txn_days |= {date.fromisoformat(day) for day in state.open_days}
    txn_days = {day for day in txn_days if day <= today}

    new_users = User.objects.filter(
        Q(pk__gt=state.last_user_id, pk__lte=max_user)
        | Q(date_joined__gte=since)
        | Q(wallet__activated_at__gte=since)
    )
    cohort_days = _days_of(new_users, "date_joined")
    cohort_days |= _spread(txn_days, COHORT_WINDOW_DAYS, 0, today)
    # e-mail verification and KYC changes carry no time: the recent cohorts are always redone
    cohort_days |= _spread({today}, COHORT_WINDOW_DAYS, 0, today)

    campaign_days = _days_of(
        RewardGrant.objects.filter(settled_at__gte=since, status=RewardGrant.Status.SETTLED),
        "settled_at",
    )
    campaign_days |= _days_of(
        Voucher.objects.filter(Q(created_at__gte=since) | Q(used_at__gte=since)), "created_at"
    )
    campaign_days |= _days_of(Redemption.objects.filter(created_at__gte=since), "created_at")
    # A reversed payment takes back its reward and its discount and gives its voucher back
    # (promotions/reversals.py): the days they were counted on change.
    undone = Transaction.objects.filter(pk__gt=state.last_transaction_id, pk__lte=max_txn)
    campaign_days |= _days_of(
        RewardGrant.objects.filter(clawback_transaction__in=undone), "settled_at"
    )
    reversed_discounts = Redemption.objects.filter(reversed_by__in=undone)
    campaign_days |= _days_of(reversed_discounts, "created_at")
    campaign_days |= _days_of(
        Voucher.objects.filter(redemptions__in=reversed_discounts), "created_at"
    )
    campaign_days = {day for day in campaign_days if day <= today}

    reached_days = _reached_days(since)
    active_days = _spread(txn_days, 0, ACTIVE_WINDOW_DAYS - 1, today)
    _recompute(
        txn_days=txn_days,
        active_days=active_days,
        cohort_days=cohort_days,
        campaign_days=campaign_days,
        reached_days=reached_days,
    )
    state.last_transaction_id = max_txn
    state.last_user_id = max_user
    state.open_days = _open_days()
    state.refreshed_at = now
    state.updated_at = now
    state.save()
    return (
        len(txn_days)
        + len(active_days)
        + len(cohort_days)
        + len(campaign_days)
        + len(reached_days - cohort_days)
    )
