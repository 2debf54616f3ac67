"""Time to activate (definitions: median_activation), as a histogram of whole hours.

Per sign-up day (the bank's day) and slice: how many customers activated their wallet `hours`
whole hours after signing up. The roll-up stores it (KpiActivationDelayDaily); a dashboard sums
the counts per hour over its selection and takes the lower median. One query for a range.
"""

from datetime import date

from django.db.models import Count, Func, IntegerField

from .definitions import ACTIVATION_HOURS_CAP
from .facts import _sort_key, signups


class WholeHours(Func):
    """Whole hours from the second moment to the first, rounded down, kept within 0 and the
    cap (a longer wait counts as the cap)."""

    arity = 2
    output_field = IntegerField()
    arg_joiner = " - "
    template = (
        f"CAST(GREATEST(0, LEAST({ACTIVATION_HOURS_CAP}, "
        "FLOOR(EXTRACT(EPOCH FROM (%(expressions)s)) / 3600))) AS integer)"
    )

    def as_sqlite(self, compiler, connection, **extra):
        # django_timestamp_diff: microseconds between two datetimes (Django's own function),
        # an integer, so the division is whole.
        return self.as_sql(
            compiler,
            connection,
            template=(
                f"MAX(0, MIN({ACTIVATION_HOURS_CAP}, "
                "django_timestamp_diff(%(expressions)s) / 3600000000))"
            ),
            arg_joiner=", ",
        )


def delay_rows(start: date, end: date, *, scope=None, group=("d", "br", "st")):
    """Customers who signed up on the days of [start, end] and activated their wallet, counted
    per `group` (d sign-up day, br, st) and whole hours from signing up to activating."""
    users = (
        signups(start, end, scope)
        .filter(wallet__activated_at__isnull=False)
        .annotate(hours=WholeHours("wallet__activated_at", "date_joined"))
    )
    dims = (*group, "hours")
    rows = users.order_by().values(*dims).annotate(count=Count("pk"))
    return sorted(rows, key=lambda row: _sort_key(tuple(row[dim] for dim in dims)))


def lower_median(histogram: dict[int, int]) -> int | None:
    """The lower median of a histogram {value: how many}: with n values sorted, the
    ((n + 1) // 2)-th (for an even n the smaller of the two middle ones). None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    position = (total + 1) // 2
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= position:
            return value
    return None  # pragma: no cover - the counts add up to total
