"""Calendar months in the bank's time zone: statements, budgets and monthly limits share them."""

from datetime import date, datetime, time

from django.utils import timezone


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """The start of the month and the start of the next, as aware datetimes."""
    tz = timezone.get_current_timezone()
    following = date(year + (month == 12), month % 12 + 1, 1)
    return datetime.combine(date(year, month, 1), time.min, tz), datetime.combine(
        following, time.min, tz
    )


def start_of_today() -> datetime:
    now = timezone.localtime()
    return datetime.combine(now.date(), time.min, now.tzinfo)
