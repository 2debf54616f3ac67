"""The business-hours calendar as pure functions: add N business minutes to an instant, and count
business minutes between two instants.

A `BusinessCalendar` is plain data (no database): working hours per weekday, public holidays,
and make-up working days (调休) with their hours, in one time zone. `calendar_load()` builds it
from the admin-edited tables in two queries.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead a calendar is searched for working time before it is declared to have none.
MAX_DAYS = 3 * 366
MINUTE = timedelta(minutes=1)


class NoWorkingTime(ValueError):
    """The calendar has no working hours in the searched range."""


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    # weekday (Monday 0) -> (opens, closes); a weekday not here is a day off
    hours: dict[int, tuple[time, time]]
    holidays: frozenset[date] = frozenset()
    # make-up working days -> their hours
    workdays: dict[date, tuple[time, time]] = field(default_factory=dict)

    def hours_on(self, day: date) -> tuple[time, time] | None:
        if day in self.workdays:
            return self.workdays[day]
        if day in self.holidays:
            return None
        return self.hours.get(day.weekday())

    def _window(self, day: date) -> tuple[datetime, datetime] | None:
        hours = self.hours_on(day)
        if hours is None:
            return None
        return (
            datetime.combine(day, hours[0], tzinfo=self.tz),
            datetime.combine(day, hours[1], tzinfo=self.tz),
        )

    def is_working_time(self, instant: datetime) -> bool:
        window = self._window(instant.astimezone(self.tz).date())
        return window is not None and window[0] <= instant < window[1]


def add_business_minutes(start: datetime, minutes: int, calendar: BusinessCalendar) -> datetime:
    """The instant `minutes` business minutes after `start` (aware). Zero gives `start` itself;
    time outside working hours does not count, so a clock started on a Saturday runs from the
    next working morning. A clock ending exactly at closing time ends then, not next morning."""
    if start.tzinfo is None:
        raise ValueError("start must be an aware datetime")
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    left = timedelta(minutes=minutes)
    if not left:
        return start
    day = start.astimezone(calendar.tz).date()
    for _ in range(MAX_DAYS):
        window = calendar._window(day)
        if window is not None and start < window[1]:
            begin = max(start, window[0])
            available = window[1] - begin
            if left <= available:
                return (begin + left).astimezone(start.tzinfo)
            left -= available
        day += timedelta(days=1)
    raise NoWorkingTime("no working hours in the calendar")


def business_time_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> timedelta:
    """Working time from `start` to `end` (zero when end is not after start)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("instants must be aware datetimes")
    total = timedelta()
    if end <= start:
        return total
    day = start.astimezone(calendar.tz).date()
    last = end.astimezone(calendar.tz).date()
    while day <= last:
        window = calendar._window(day)
        if window is not None:
            begin, finish = max(start, window[0]), min(end, window[1])
            if finish > begin:
                total += finish - begin
        day += timedelta(days=1)
    return total


def business_minutes_between(start: datetime, end: datetime, calendar: BusinessCalendar) -> int:
    """Whole business minutes from `start` to `end` (rounded down)."""
    return business_time_between(start, end, calendar) // MINUTE


def calendar_load() -> BusinessCalendar:
    """The bank's calendar from the admin's tables (WorkingHours, CalendarDay); with no working
    hours at all, Mon–Fri 09:00–18:00."""
    from django.conf import settings

    from .models_sla import CalendarDay, WorkingHours

    hours = {row.weekday: (row.opens, row.closes) for row in WorkingHours.objects.all()}
    if not hours:
        # An empty table (not seeded yet, or emptied) must not stop tickets: the usual week.
        from .sla_defaults import CLOSES, OPENS, WEEKDAYS

        hours = dict.fromkeys(WEEKDAYS, (OPENS, CLOSES))
    standard = hours.get(0) or next(iter(hours.values()), (time(9), time(18)))
    holidays, workdays = set(), {}
    for day in CalendarDay.objects.all():
        if day.kind == CalendarDay.Kind.HOLIDAY:
            holidays.add(day.date)
        else:
            workdays[day.date] = (day.opens, day.closes) if day.opens else standard
    return BusinessCalendar(
        tz=ZoneInfo(settings.TIME_ZONE),
        hours=hours,
        holidays=frozenset(holidays),
        workdays=workdays,
    )
