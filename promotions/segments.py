"""Customer segments and category affinities, computed each night, and win-back messages.

Segments are computed only for customers who accepted personalised offers (consent kind
"personalisation"); everyone else has no row here, and withdrawing the consent deletes a
customer's rows at once (accounts.consent calls `segments_delete_for`). A run works in sets:
one aggregate query per measure over all consenting customers, then the tables are replaced
with bulk writes in one transaction, so running it twice leaves the same rows.

Win-back messages go to dormant customers who accepted marketing (by email or SMS): one per
dormancy stage (30, 60, 90 days) of a dormant spell, through the notifications outbox.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.consent import register_withdrawal_hook, users_consenting
from accounts.models import Consent, User
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue_many
from wallet.models import Entry, FxRate, LedgerAccount, Merchant, Transaction

from .models import CategoryAffinity, CustomerSegment, WinBackMessage

Code = CustomerSegment.Code
NEW_DAYS = 30
ACTIVE_DAYS = 30
AFFINITY_DAYS = 90
DORMANT_STAGES = (90, 60, 30)  # longest first: a customer is in the longest stage reached
DORMANT_CODE = {30: Code.DORMANT_30, 60: Code.DORMANT_60, 90: Code.DORMANT_90}
TOP_CODE = {category: f"top_{category}" for category in Merchant.Category.values}
# What the customer did themselves: a reward, a yield or a reversal is not activity.
ACTIVITY_KINDS = (
    Transaction.Kind.PAYMENT,
    Transaction.Kind.BILL,
    Transaction.Kind.TOP_UP,
    Transaction.Kind.WITHDRAWAL,
    Transaction.Kind.EXCHANGE,
    Transaction.Kind.CASH_IN,
    Transaction.Kind.CASH_OUT,
    Transaction.Kind.FUND_SUBSCRIPTION,
    Transaction.Kind.FUND_REDEMPTION,
)
SPENDING_KINDS = (Transaction.Kind.PAYMENT, Transaction.Kind.BILL)
WIN_BACK_TOPIC = "promotions.win_back"
SCORE_PLACES = Decimal("0.0001")


@dataclass
class SegmentRun:
    customers: int = 0
    segments: int = 0
    affinities: int = 0
    win_backs: int = 0
    by_code: dict[str, int] = field(default_factory=dict)


def _customer_entries(user_ids: QuerySet) -> QuerySet[Entry]:
    return Entry.objects.filter(
        account__kind=LedgerAccount.Kind.CUSTOMER,
        account__wallet__user_id__in=user_ids,
    ).exclude(transaction__status=Transaction.Status.REJECTED)


def last_activity_of(user_ids: QuerySet) -> dict[int, datetime]:
    """Each customer's latest own transaction (one aggregate query). Money received from
    someone else is not the customer's activity; money they sent is."""
    rows = (
        _customer_entries(user_ids)
        .filter(
            Q(transaction__kind__in=ACTIVITY_KINDS)
            | Q(transaction__kind=Transaction.Kind.TRANSFER, amount__lt=0)
        )
        .values("account__wallet__user_id")
        .annotate(last=Max("transaction__created_at"))
        .values_list("account__wallet__user_id", "last")
    )
    return dict(rows)


def _cny_rates() -> dict[str, Decimal]:
    rates = dict(FxRate.objects.values_list("currency", "cny_per_unit"))
    rates["CNY"] = Decimal(1)
    return rates


def _spending(user_ids: QuerySet, *, since, kinds, by_category: bool) -> list[dict]:
    """Spending per customer (and per merchant category) since `since`, in CNY at mid rates;
    a currency without a rate is left out rather than guessed."""
    rows = (
        _customer_entries(user_ids)
        .filter(
            amount__lt=0,
            transaction__kind__in=kinds,
            transaction__status=Transaction.Status.COMPLETED,
            transaction__created_at__gte=since,
        )
        .annotate(category=KeyTextTransform("merchant_category", "transaction__metadata"))
        .values("account__wallet__user_id", "currency", *(["category"] if by_category else []))
        .annotate(total=Sum("amount"), payments=Count("transaction", distinct=True))
    )
    rates = _cny_rates()
    result = []
    for row in rows:
        rate = rates.get(row["currency"])
        if rate is None:
            continue
        result.append(
            {
                "user_id": row["account__wallet__user_id"],
                "category": row.get("category") or Merchant.Category.OTHER,
                "amount": -row["total"] * rate,
                "payments": row["payments"],
            }
        )
    return result


def _monthly_spend(user_ids: QuerySet, now) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for row in _spending(
        user_ids, since=now - timedelta(days=30), kinds=SPENDING_KINDS, by_category=False
    ):
        totals[row["user_id"]] = totals.get(row["user_id"], Decimal(0)) + row["amount"]
    return totals


def _high_spenders(monthly: dict[int, Decimal]) -> set[int]:
    """Above the configured monthly amount, or in the top tenth of spenders (only judged with
    enough spenders for a tenth to mean something)."""
    threshold = Decimal(settings.SEGMENT_HIGH_SPENDER_MONTHLY_CNY)
    chosen = {user_id for user_id, amount in monthly.items() if amount >= threshold}
    spenders = sorted((a for a in monthly.values() if a > 0), reverse=True)
    if len(spenders) >= settings.SEGMENT_DECILE_MIN_CUSTOMERS:
        cutoff = spenders[math.ceil(len(spenders) / 10) - 1]
        chosen |= {user_id for user_id, amount in monthly.items() if amount >= cutoff > 0}
    return chosen


def _affinities(user_ids: QuerySet, now) -> dict[int, list[CategoryAffinity]]:
    """Per customer, their merchant-payment categories of the last 90 days, best first: the
    score is half the category's share of the amount and half its share of the payments."""
    per_user: dict[int, dict[str, list]] = {}
    for row in _spending(
        user_ids,
        since=now - timedelta(days=AFFINITY_DAYS),
        kinds=(Transaction.Kind.PAYMENT,),
        by_category=True,
    ):
        bucket = per_user.setdefault(row["user_id"], {}).setdefault(
            row["category"], [Decimal(0), 0]
        )
        bucket[0] += row["amount"]
        bucket[1] += row["payments"]
    result: dict[int, list[CategoryAffinity]] = {}
    for user_id, categories in per_user.items():
        total_amount = sum(amount for amount, _n in categories.values())
        total_payments = sum(n for _amount, n in categories.values())
        rows = []
        for category, (amount, payments) in categories.items():
            share_amount = amount / total_amount if total_amount else Decimal(0)
            share_payments = Decimal(payments) / total_payments if total_payments else Decimal(0)
            score = ((share_amount + share_payments) / 2).quantize(SCORE_PLACES)
            rows.append(
                CategoryAffinity(
                    user_id=user_id,
                    category=category,
                    score=score,
                    amount=amount.quantize(Decimal("0.01")),
                    payments=payments,
                    computed_at=now,
                )
            )
        rows.sort(key=lambda a: (-a.score, -a.amount, a.category))
        result[user_id] = rows
    return result


def dormant_stage(*, last_activity: datetime | None, joined: datetime, now) -> int | None:
    """30, 60 or 90 when the customer has done nothing for that long (counting from sign-up
    when they never did anything), else None."""
    since = max(last_activity or joined, joined)
    days = (now - since).days
    return next((stage for stage in DORMANT_STAGES if days >= stage), None)


def segments_for(
    *, joined, last_activity, monthly_spend, high_spender: bool, affinities, now
) -> list[str]:
    codes = []
    if now - joined < timedelta(days=NEW_DAYS):
        codes.append(Code.NEW)
    if last_activity and now - last_activity < timedelta(days=ACTIVE_DAYS):
        codes.append(Code.ACTIVE)
    stage = dormant_stage(last_activity=last_activity, joined=joined, now=now)
    if stage:
        codes.append(DORMANT_CODE[stage])
    if high_spender:
        codes.append(Code.HIGH_SPENDER)
    minimum = Decimal(settings.SEGMENT_TOP_CATEGORY_MIN_SCORE)
    top = [a for a in affinities if a.score >= minimum][: settings.SEGMENT_TOP_CATEGORIES]
    codes.extend(TOP_CODE[a.category] for a in top if a.category in TOP_CODE)
    return codes


@transaction.atomic
def segments_compute(*, now=None) -> SegmentRun:
    """Replace every segment and affinity with what the customers' activity says now; only
    customers who accepted personalised offers are looked at. Idempotent."""
    now = now or timezone.now()
    consenting = users_consenting(Consent.Kind.PERSONALISATION)
    joined = dict(consenting.values_list("pk", "date_joined"))
    ids = consenting.values("pk")
    last = last_activity_of(ids)
    monthly = _monthly_spend(ids, now)
    high = _high_spenders(monthly)
    affinities = _affinities(ids, now)

    segments = []
    for user_id, date_joined in joined.items():
        codes = segments_for(
            joined=date_joined,
            last_activity=last.get(user_id),
            monthly_spend=monthly.get(user_id, Decimal(0)),
            high_spender=user_id in high,
            affinities=affinities.get(user_id, []),
            now=now,
        )
        segments.extend(CustomerSegment(user_id=user_id, code=c, computed_at=now) for c in codes)
    affinity_rows = [row for user_id in joined for row in affinities.get(user_id, [])]

    # Replace, not merge: a customer who left a segment (or withdrew) keeps nothing stale.
    CustomerSegment.objects.all().delete()
    CategoryAffinity.objects.all().delete()
    CustomerSegment.objects.bulk_create(segments, batch_size=2000)
    CategoryAffinity.objects.bulk_create(affinity_rows, batch_size=2000)
    by_code: dict[str, int] = {}
    for segment in segments:
        by_code[segment.code] = by_code.get(segment.code, 0) + 1
    return SegmentRun(
        customers=len(joined),
        segments=len(segments),
        affinities=len(affinity_rows),
        by_code=by_code,
    )


def segments_delete_for(user: User) -> None:
    """Personalisation withdrawn: what was computed about the customer goes at once."""
    CustomerSegment.objects.filter(user=user).delete()
    CategoryAffinity.objects.filter(user=user).delete()


def segments_export(user: User) -> dict:
    """The customer's copy (data export): what was worked out about them, if anything."""
    return {
        "segments": sorted(
            CustomerSegment.objects.filter(user=user).values_list("code", flat=True)
        ),
        "category_affinities": [
            {"category": category, "score": str(score)}
            for category, score in CategoryAffinity.objects.filter(user=user)
            .order_by("-score", "category")
            .values_list("category", "score")
        ],
    }


def segment_codes_of(user) -> set[str]:
    return set(CustomerSegment.objects.filter(user=user).values_list("code", flat=True))


# --- win-back ----------------------------------------------------------------------------


@transaction.atomic
def win_back_queue(*, now=None) -> int:
    """Queue a win-back message for each dormant customer who accepted marketing and has not
    had one for this stage of this dormant spell. Returns how many were queued."""
    now = now or timezone.now()
    consenting = users_consenting(Consent.Kind.MARKETING_EMAIL) | users_consenting(
        Consent.Kind.MARKETING_SMS
    )
    joined = dict(consenting.values_list("pk", "date_joined"))
    last = last_activity_of(consenting.values("pk"))
    due = []
    for user_id, date_joined in joined.items():
        stage = dormant_stage(last_activity=last.get(user_id), joined=date_joined, now=now)
        if stage:
            since = max(last.get(user_id) or date_joined, date_joined)
            due.append(WinBackMessage(user_id=user_id, stage=stage, dormant_since=since))
    if not due:
        return 0
    sent = set(
        WinBackMessage.objects.filter(user_id__in=[m.user_id for m in due]).values_list(
            "user_id", "stage", "dormant_since"
        )
    )
    new = [m for m in due if (m.user_id, m.stage, m.dormant_since) not in sent]
    for message in new:
        message.created_at = now
    WinBackMessage.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    outbox_enqueue_many(
        topic=WIN_BACK_TOPIC,
        items=[
            ({"user_id": m.user_id, "stage": m.stage, "key": key}, key)
            for m, key in ((m, _win_back_key(m)) for m in new)
        ],
    )
    return len(new)


def _win_back_key(message: WinBackMessage) -> str:
    return f"win-back:{message.user_id}:{message.stage}:{int(message.dormant_since.timestamp())}"


def win_back_send(*, user_id: int, stage: int, key: str) -> None:
    """The outbox's handler: the message, on the channels the customer consented to."""
    user = User.objects.get(pk=user_id)
    notify(
        user=user,
        kind=Notification.Kind.MARKETING,
        title=_("We miss you"),
        body=_(
            "You have not used your wallet for %(days)d days. See the offers waiting for you, "
            "or tell us what we could do better."
        )
        % {"days": stage},
        dedupe_key=key,
        link=reverse("promotions:offers"),
    )


def nightly_run(*, now=None) -> SegmentRun:
    """The nightly task's work: segments first, then win-back messages."""
    run = segments_compute(now=now)
    run.win_backs = win_back_queue(now=now)
    return run


def connect() -> None:
    from accounts.data_export import register_export_section
    from notifications.services import register_handler

    register_withdrawal_hook(Consent.Kind.PERSONALISATION, segments_delete_for)
    register_export_section("personalisation", segments_export)
    register_handler(WIN_BACK_TOPIC, win_back_send)
