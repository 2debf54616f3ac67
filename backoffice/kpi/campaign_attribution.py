"""Which new customers a campaign reached, and how many of them activated and stayed
(definitions.CAMPAIGN_TABLE_HELP, cost_per_activation, cost_per_retained).

A customer is reached by a campaign when they got a paid reward grant, a voucher or a discount
not taken back from it, at any time; a customer reached by two campaigns counts for each.
Counted per the customer's sign-up day (their cohort), like the other sign-up figures, so a grant
paid today changes the row of the day the customer signed up. One query for a range.
"""

from datetime import date

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Value, When

from promotions.models import Redemption, RewardGrant, Voucher

from .definitions import RETENTION_WEEKS
from .facts import (
    _day_value,
    _in_days,
    _sort_key,
    compiled,
    in_week_after_signup,
    signups,
    volume_entries,
    with_days_after_signup,
)

ROW_FIELDS = ("reached", "activated", "retained")


def reached_pairs(start: date, end: date, *, campaign_id=None):
    """(customer, campaign) once each, for the customers who signed up in [start, end]."""
    sources = (
        RewardGrant.objects.filter(status=RewardGrant.Status.SETTLED),
        Voucher.objects.all(),
        Redemption.objects.filter(reversed_by__isnull=True),
    )
    parts = []
    for qs in sources:
        qs = _in_days(qs, "user__date_joined", start, end)
        if campaign_id is not None:
            qs = qs.filter(campaign_id=campaign_id)
        parts.append(
            qs.order_by().annotate(cu=F("user_id"), cc=F("campaign_id")).values("cu", "cc")
        )
    return parts[0].union(*parts[1:])


def _retained_in_last_week():
    """Active (a volume transaction) in the customer's fourth week after the sign-up day, as in
    facts.cohort_rows (retained_w4)."""
    mine = volume_entries().filter(account__wallet__user_id=OuterRef("pk"))
    return with_days_after_signup(mine).filter(in_week_after_signup(RETENTION_WEEKS))


def attribution_rows(
    start: date, end: date, *, scope=None, group=("d", "br", "st"), campaign_id=None
):
    """Per `group` (d sign-up day, br, st) and campaign: customers of [start, end] the campaign
    reached, how many of them activated their wallet, how many were retained in week 4."""
    flag = {"output_field": IntegerField(), "default": Value(0)}
    users = signups(start, end, scope).annotate(
        uid=F("pk"),
        act=Case(When(wallet__activated_at__isnull=False, then=Value(1)), **flag),
        ret=Case(When(Exists(_retained_in_last_week()), then=Value(1)), **flag),
    )
    users = users.order_by().values(*group, "uid", "act", "ret")
    pairs = reached_pairs(start, end, campaign_id=campaign_id)
    connection, users_sql, users_params = compiled(users)
    _connection, pairs_sql, pairs_params = compiled(pairs, using=connection.alias)  # one statement
    q = connection.ops.quote_name
    columns = "".join(f"u.{q(dim)}, " for dim in group)
    statement = (
        f"SELECT {columns}p.{q('cc')}, COUNT(*), SUM(u.{q('act')}), SUM(u.{q('ret')}) "  # noqa: S608 (our own column names)
        f"FROM ({users_sql}) u INNER JOIN ({pairs_sql}) p ON p.{q('cu')} = u.{q('uid')} "
        f"GROUP BY {columns}p.{q('cc')}"
    )
    rows = []
    with connection.cursor() as cursor:
        cursor.execute(statement, (*users_params, *pairs_params))
        for *key, campaign, reached, activated, retained in cursor.fetchall():
            row = dict(zip(group, key, strict=True))
            if "d" in row:
                row["d"] = _day_value(row["d"])
            rows.append(
                {
                    **row,
                    "campaign_id": campaign,
                    "reached": reached,
                    "activated": activated or 0,
                    "retained": retained or 0,
                }
            )
    return sorted(rows, key=lambda row: _sort_key(tuple(row[k] for k in (*group, "campaign_id"))))
