"""The KPI figures computed straight from the base tables, in sets (aggregate queries).

The roll-ups (rollups.py) store exactly these aggregates per day and slice; the dashboard's raw
source (figures.RawSource) asks them directly for a period. One place, so both agree.

Slice keys: `br` branch id and `st` onboarding staff id of the customer (backoffice.CustomerBranch),
`chan` channel, `k` kind, `cur` currency, `d` the bank's day.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connections, router
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Abs, Coalesce, TruncDate

from accounts.models import User
from promotions.models import Redemption, RewardGrant, Voucher
from promotions.selectors import grant_cost, grants_given
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


# DAU, WAU and MAU: distinct customers active on the day, in the 7 and in the 30 days ending on it.
ACTIVE_WINDOWS = (("dau", 1), ("wau", 7), ("mau", 30))
LONGEST_WINDOW = max(days for _name, days in ACTIVE_WINDOWS)


def contiguous_ranges(days, *, longest: int = 92) -> list[tuple[date, date]]:
    """Days as [(start, end)] runs of consecutive days, none longer than `longest` days, so a
    set-based computation of many days reads each stretch once and no query grows without end."""
    ranges: list[list[date]] = []
    for day in sorted(set(days)):
        follows = ranges and day == ranges[-1][1] + timedelta(days=1)
        if follows and (day - ranges[-1][0]).days < longest:
            ranges[-1][1] = day
            continue
        ranges.append([day, day])
    return [(start, end) for start, end in ranges]


def _day_value(value) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _gap_sql(vendor: str) -> str:
    """Days from a customer's active day to their next one (at most LONGEST_WINDOW)."""
    if vendor == "postgresql":
        return f"LEAST(COALESCE(nxt - d, {LONGEST_WINDOW}), {LONGEST_WINDOW})"
    return (
        f"MIN(COALESCE(CAST(julianday(nxt) - julianday(d) AS INTEGER), {LONGEST_WINDOW}), "
        f"{LONGEST_WINDOW})"
    )


def compiled(queryset, *, using: str | None = None):
    """The connection a queryset reads from (or `using`) and its SQL with parameters, to wrap in
    SQL the ORM cannot write (window functions over a grouped subquery, joins of unions)."""
    db = using or router.db_for_read(queryset.model)
    return connections[db], *queryset.query.get_compiler(db).as_sql()


def active_counts(start: date, end: date, *, scope=None, group=("br", "st"), by_channel=False):
    """DAU, WAU and MAU for every day of [start, end] per slice, in one query for the range.

    Asking "who was active in the 30 days ending on D" once per day reads each day's payments
    thirty times over (a full rebuild of 10 million transactions did not finish in 24 minutes).
    Instead each customer's active days are read once, with the gap to their next active day
    (a window function): the active day `a` is the latest one on the days a .. a+min(gap, N)-1,
    so it is what counts the customer in the N-day window of those days, and every customer is
    counted once a day, by exactly one of their active days. Per slice, +n where such a stretch
    starts and -n after it ends, summed up day by day, gives the distinct counts.
    With `by_channel`, a customer active on two channels counts once on each."""
    dims = (*group, "chan") if by_channel else tuple(group)
    entity = ("cust", "chan") if by_channel else ("cust",)
    first = start - timedelta(days=LONGEST_WINDOW - 1)
    customer_days = (
        _scoped(_in_days(volume_entries(), "transaction__created_at", first, end), scope)
        .order_by()
        .values(*dict.fromkeys((*entity, *dims, "d")))
        .distinct()
    )
    connection, sql, params = compiled(customer_days)
    q = connection.ops.quote_name
    columns = "".join(f"{q(dim)}, " for dim in dims)
    partition = ", ".join(q(column) for column in entity)
    statement = (
        f"SELECT {columns}d, gap, COUNT(*) FROM ("  # noqa: S608 (our own column names)
        f"SELECT {columns}d, {_gap_sql(connection.vendor)} AS gap FROM ("
        f"SELECT {columns}{q('d')} AS d, "
        f"LEAD({q('d')}) OVER (PARTITION BY {partition} ORDER BY {q('d')}) AS nxt "
        f"FROM ({sql}) customer_days) with_next) with_gap "
        f"GROUP BY {columns}d, gap"
    )
    changes: dict[tuple, dict[str, dict[date, int]]] = defaultdict(
        lambda: {name: defaultdict(int) for name, _days in ACTIVE_WINDOWS}
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for *key, day, gap, n in cursor.fetchall():
            day = _day_value(day)
            for name, days in ACTIVE_WINDOWS:
                per_day = changes[tuple(key)][name]
                per_day[day] += n
                per_day[day + timedelta(days=min(gap, days))] -= n
    return _running_counts(changes, dims, first, start, end)


def _running_counts(changes, dims, first: date, start: date, end: date) -> list[dict]:
    rows = []
    for key in sorted(changes, key=_sort_key):
        running = dict.fromkeys(changes[key], 0)
        day = first
        while day <= end:
            for name in running:
                running[name] += changes[key][name].get(day, 0)
            if day >= start and any(running.values()):
                rows.append({**dict(zip(dims, key, strict=True)), "d": day, **running})
            day += timedelta(days=1)
    return rows


def active_on(start: date, end: date, *, scope=None) -> dict[date, dict]:
    """What a dashboard shows of active customers, straight from the transactions: DAU for
    each day of [start, end], WAU and MAU on its last day (three queries)."""
    entries = _scoped(volume_entries(), scope)
    out: dict[date, dict] = {}
    daily = (
        _in_days(entries, "transaction__created_at", start, end)
        .order_by()
        .values("d")
        .annotate(n=Count("cust", distinct=True))
    )
    for row in daily:
        out[row["d"]] = {"dau": row["n"], "wau": 0, "mau": 0}
    for name, days in ACTIVE_WINDOWS[1:]:
        window = _in_days(entries, "transaction__created_at", end - timedelta(days=days - 1), end)
        n = window.aggregate(n=Count("cust", distinct=True))["n"]
        if n:
            out.setdefault(end, {"dau": 0, "wau": 0, "mau": 0})[name] = n
    return out


# --- sign-up cohorts -----------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from the second date to the first (both already the bank's days)."""

    arity = 2
    output_field = IntegerField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" - ")

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


COHORT_USER_FIELDS = ("registered", "email_verified", "kyc1", "kyc2", "activated")
COHORT_ACTIVITY_FIELDS = (
    "first_txn_7d",
    *(f"retained_w{w}" for w in range(1, RETENTION_WEEKS + 1)),
)


def cohort_rows(start: date, end: date, *, scope=None, group=("d", "br", "st")):
    """Customers who signed up on each day of [start, end] and how far they came (definitions:
    registrations...), per `group` of d (sign-up day), br, st. Two queries for the range: the
    sign-ups themselves, and one pass over their payments in the weeks after (not one lookup
    per customer and week)."""
    scope = signup_scope(scope)
    rows: dict[tuple, dict] = {}

    def row_of(values: dict) -> dict:
        key = tuple(values[g] for g in group)
        return rows.setdefault(
            key,
            {
                **{g: values[g] for g in group},
                **dict.fromkeys((*COHORT_USER_FIELDS, *(n for n, _d in ACTIVATION_BUCKETS)), 0),
                **dict.fromkeys(COHORT_ACTIVITY_FIELDS, 0),
            },
        )

    for values in _cohort_signups(start, end, scope, group):
        row_of(values).update(values)
    for values in _cohort_activity(start, end, scope):
        row = row_of(values)
        for field in COHORT_ACTIVITY_FIELDS:
            row[field] += values[field]
    return [row for key, row in sorted(rows.items(), key=lambda item: _sort_key(item[0]))]


def _sort_key(key: tuple) -> tuple:
    return tuple((value is None, value) for value in key)


def registrations(start: date, end: date, *, scope=None, group=("d", "br", "st")):
    """Sign-ups of [start, end] per group, with how many verified, passed KYC and activated."""
    return list(_cohort_signups(start, end, signup_scope(scope), group))


def signups(start: date, end: date, scope=None):
    """Counted customers who signed up in [start, end], with their sign-up day `d` (bank time),
    branch `br` and onboarding teller `st`, narrowed to the slice's branch or teller."""
    return _scoped(
        _in_days(counted_customers(), "date_joined", start, end).annotate(
            d=TruncDate("date_joined", tzinfo=bank_tz()),
            br=F("customer_branch__branch_id"),
            st=F("customer_branch__onboarded_by_id"),
        ),
        signup_scope(scope),
    )


def signup_scope(scope) -> dict:
    """The part of a slice that applies to customers (a channel or campaign does not)."""
    return {k: v for k, v in (scope or {}).items() if k in ("br", "st")}


def _cohort_signups(start, end, scope, group):
    users = signups(start, end, scope).annotate(
        ev=Exists(EmailAddress.objects.filter(user_id=OuterRef("pk"), verified=True))
    )
    aggregates = {
        "registered": Count("pk"),
        "email_verified": Count("pk", filter=Q(ev=True)),
        "kyc1": Count("pk", filter=Q(kyc_level__gte=1)),
        "kyc2": Count("pk", filter=Q(kyc_level__gte=2)),
        "activated": Count("pk", filter=Q(wallet__activated_at__isnull=False)),
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
        return [row] if row["registered"] else []
    return users.order_by().values(*group).annotate(**aggregates)


def in_week_after_signup(week: int) -> Q:
    """Entries annotated with `after` (bank days from the sign-up day to the payment's day) that
    fall in week `week` after signing up: days 7w .. 7w+6."""
    return Q(after__gte=7 * week, after__lte=7 * week + 6)


def with_days_after_signup(entries):
    """Volume entries annotated with `after`: bank days from their customer's sign-up day."""
    user = "account__wallet__user__"
    return entries.annotate(jd=TruncDate(user + "date_joined", tzinfo=bank_tz())).annotate(
        after=DaysBetween("d", "jd")
    )


def _cohort_activity(start, end, scope):
    """Per customer who signed up in [start, end]: paid within 7 days of signing up, and active
    in each week after (week w: the bank days 7w .. 7w+6 after the sign-up day)."""
    user = "account__wallet__user__"
    last_day = 7 * RETENTION_WEEKS + 6

    def flag(condition: Q):
        return Max(Case(When(condition, then=1), default=0, output_field=IntegerField()))

    entries = _scoped(
        with_days_after_signup(_in_days(volume_entries(), user + "date_joined", start, end)).filter(
            after__lte=last_day
        ),
        scope,
    )
    within_7_days = ExpressionWrapper(
        F(user + "date_joined") + timedelta(days=7), output_field=DateTimeField()
    )
    per_customer = (
        entries.order_by()
        .values("cust", "jd", "br", "st")
        .annotate(
            first_txn_7d=flag(
                Q(
                    transaction__created_at__gte=F(user + "date_joined"),
                    transaction__created_at__lt=within_7_days,
                )
            ),
            **{
                f"retained_w{week}": flag(in_week_after_signup(week))
                for week in range(1, RETENTION_WEEKS + 1)
            },
        )
    )
    for values in per_customer.iterator(chunk_size=5000):
        values["d"] = _day_value(values.pop("jd"))
        yield values


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
            grants_given(
                RewardGrant.objects.filter(counted_q("user__"), status=RewardGrant.Status.SETTLED)
            ),
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

    add(grants, grants=Count("pk"), cost=Sum(grant_cost()))
    add(
        vouchers,
        vouchers_issued=Count("pk"),
        vouchers_redeemed=Count("pk", filter=Q(used_at__isnull=False)),
    )
    add(discounts, discounts=Sum("amount"))
    return list(rows.values())
