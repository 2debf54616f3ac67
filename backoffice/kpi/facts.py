"""The KPI figures computed straight from the base tables, in sets (aggregate queries).

The roll-ups (rollups.py) store exactly these aggregates per day and slice; the dashboard's raw
source (figures.RawSource) asks them directly for a period. One place, so both agree.

Slice keys: `br` branch id and `st` onboarding staff id of the customer (backoffice.CustomerBranch),
`chan` channel, `k` kind, `cur` currency, `d` the bank's day.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Abs, Coalesce, TruncDate

from accounts.models import User
from promotions.models import Redemption, RewardGrant, Voucher
from wallet.channel import WEB
from wallet.models import Entry, LedgerAccount, Transaction

from .definitions import (
    ACTIVATION_BUCKETS,
    MONEY_IN_KINDS,
    RETENTION_WEEKS,
    VOLUME_KINDS,
    excluded_email_domains,
)


def bank_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_start(day: date) -> datetime:
    """The first instant of a bank day, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=bank_tz())


def local_day(moment: datetime) -> date:
    return moment.astimezone(bank_tz()).date()


def counted_q(prefix: str = "") -> Q:
    """Customers counted in the KPIs: not staff, not superusers, not test wallets."""
    q = Q(**{f"{prefix}is_staff": False, f"{prefix}is_superuser": False}) & Q(
        **{f"{prefix}staff_profile__isnull": True}
    )
    for domain in excluded_email_domains():
        q &= ~Q(**{f"{prefix}email__iendswith": "@" + domain})
    return q


def counted_customers():
    return User.objects.filter(counted_q())


def _scoped(qs, scope: dict | None):
    """Apply a slice filter: {"br": id, "st": id, "chan": "web"} (missing keys: all)."""
    return qs.filter(**{key: value for key, value in (scope or {}).items() if value is not None})


# --- transactions --------------------------------------------------------------------------


def volume_entries():
    """One row per volume transaction: its customer's entry (the wallet that paid or, for money
    coming in, that received). Completed, not reversed, counted customers only."""
    user = "account__wallet__user__"
    return (
        Entry.objects.filter(
            account__kind=LedgerAccount.Kind.CUSTOMER,
            transaction__status=Transaction.Status.COMPLETED,
            transaction__kind__in=VOLUME_KINDS,
            transaction__reversed_by__isnull=True,
        )
        .filter(Q(amount__lt=0) | Q(amount__gt=0, transaction__kind__in=MONEY_IN_KINDS))
        .filter(counted_q(user))
        .annotate(
            cust=F("account__wallet__user_id"),
            br=F(user + "customer_branch__branch_id"),
            st=F(user + "customer_branch__onboarded_by_id"),
            d=TruncDate("transaction__created_at", tzinfo=bank_tz()),
            chan=Coalesce(
                KeyTextTransform("channel", "transaction__metadata"),
                Value(WEB),
                output_field=CharField(),
            ),
            k=F("transaction__kind"),
            cur=F("currency"),
        )
    )


def _in_days(qs, field: str, start: date, end: date):
    return qs.filter(
        **{f"{field}__gte": day_start(start), f"{field}__lt": day_start(end + timedelta(days=1))}
    )


def transaction_rows(
    start: date, end: date, *, scope=None, group=("d", "br", "st", "chan", "k", "cur")
):
    qs = _scoped(_in_days(volume_entries(), "transaction__created_at", start, end), scope)
    return qs.values(*group).annotate(count=Count("pk"), amount=Sum(Abs("amount"))).order_by(*group)


def active_rows(day: date, *, scope=None, group=("br", "st"), by_channel=False):
    """Distinct active customers on `day`, the 7 and the 30 days ending on it, per slice."""
    dims = (*group, "chan") if by_channel else tuple(group)
    result: dict[tuple, dict] = {}
    for name, days in (("dau", 1), ("wau", 7), ("mau", 30)):
        qs = _scoped(
            _in_days(
                volume_entries(), "transaction__created_at", day - timedelta(days=days - 1), day
            ),
            scope,
        )
        if not dims:
            grouped = [qs.aggregate(n=Count("cust", distinct=True))]
        else:
            grouped = qs.values(*dims).annotate(n=Count("cust", distinct=True)).order_by(*dims)
        for row in grouped:
            if not row["n"]:
                continue
            key = tuple(row[dim] for dim in dims)
            entry = result.setdefault(
                key, {**{dim: row[dim] for dim in dims}, "dau": 0, "wau": 0, "mau": 0}
            )
            entry[name] = row["n"]
    return list(result.values())


# --- sign-up cohorts -----------------------------------------------------------------------


def cohort_rows(day: date, *, scope=None, group=("br", "st")):
    """Customers who signed up on `day` and how far they came (definitions: registrations...)."""
    users = _in_days(counted_customers(), "date_joined", day, day).annotate(
        br=F("customer_branch__branch_id"), st=F("customer_branch__onboarded_by_id")
    )
    users = _scoped(users, {k: v for k, v in (scope or {}).items() if k in ("br", "st")})
    joined_7d = ExpressionWrapper(
        F("date_joined") + timedelta(days=7), output_field=DateTimeField()
    )
    mine = volume_entries().filter(account__wallet__user_id=OuterRef("pk"))
    annotations = {
        "ev": Exists(EmailAddress.objects.filter(user_id=OuterRef("pk"), verified=True)),
        "j7": joined_7d,
    }
    users = users.annotate(**annotations).annotate(
        first7=Exists(mine.filter(transaction__created_at__lt=OuterRef("j7"))),
        **{
            f"ret{week}": Exists(
                _in_days(
                    mine,
                    "transaction__created_at",
                    day + timedelta(days=7 * week),
                    day + timedelta(days=7 * week + 6),
                )
            )
            for week in range(1, RETENTION_WEEKS + 1)
        },
    )
    aggregates = {
        "registered": Count("pk"),
        "email_verified": Count("pk", filter=Q(ev=True)),
        "kyc1": Count("pk", filter=Q(kyc_level__gte=1)),
        "kyc2": Count("pk", filter=Q(kyc_level__gte=2)),
        "activated": Count("pk", filter=Q(wallet__activated_at__isnull=False)),
        "first_txn_7d": Count("pk", filter=Q(first7=True)),
        **{
            f"retained_w{week}": Count("pk", filter=Q(**{f"ret{week}": True}))
            for week in range(1, RETENTION_WEEKS + 1)
        },
    }
    for name, days in ACTIVATION_BUCKETS:
        aggregates[name] = Count(
            "pk",
            filter=Q(
                wallet__activated_at__lt=ExpressionWrapper(
                    F("date_joined") + timedelta(days=days), output_field=DateTimeField()
                )
            ),
        )
    if not group:
        row = users.aggregate(**aggregates)
        return [{"d": day, **row}] if row["registered"] else []
    return [
        {"d": day, **row} for row in users.values(*group).annotate(**aggregates).order_by(*group)
    ]


# --- campaigns -----------------------------------------------------------------------------


def campaign_rows(start: date, end: date, *, scope=None, group=("d", "br", "st", "campaign_id")):
    """Per day and campaign: reward grants paid (by day paid), vouchers issued in the day (and
    how many of them were used), voucher discounts given (not taken back)."""
    scope = {k: v for k, v in (scope or {}).items() if k in ("br", "st", "campaign_id")}
    tz = bank_tz()
    dims = {
        "br": F("user__customer_branch__branch_id"),
        "st": F("user__customer_branch__onboarded_by_id"),
    }
    grants = _scoped(
        _in_days(
            RewardGrant.objects.filter(counted_q("user__"), status=RewardGrant.Status.SETTLED),
            "settled_at",
            start,
            end,
        ).annotate(d=TruncDate("settled_at", tzinfo=tz), **dims),
        scope,
    )
    vouchers = _scoped(
        _in_days(Voucher.objects.filter(counted_q("user__")), "created_at", start, end).annotate(
            d=TruncDate("created_at", tzinfo=tz), **dims
        ),
        scope,
    )
    discounts = _scoped(
        _in_days(
            Redemption.objects.filter(counted_q("user__"), reversed_by__isnull=True),
            "created_at",
            start,
            end,
        ).annotate(d=TruncDate("created_at", tzinfo=tz), **dims),
        scope,
    )
    rows: dict[tuple, dict] = {}

    def add(qs, **aggregates):
        for row in qs.values(*group).annotate(**aggregates).order_by(*group):
            key = tuple(row[g] for g in group)
            entry = rows.setdefault(
                key,
                {
                    **{g: row[g] for g in group},
                    "grants": 0,
                    "cost": 0,
                    "vouchers_issued": 0,
                    "vouchers_redeemed": 0,
                    "discounts": 0,
                },
            )
            for name in aggregates:
                entry[name] = row[name]

    add(grants, grants=Count("pk"), cost=Sum("amount"))
    add(
        vouchers,
        vouchers_issued=Count("pk"),
        vouchers_redeemed=Count("pk", filter=Q(used_at__isnull=False)),
    )
    add(discounts, discounts=Sum("amount"))
    return list(rows.values())
