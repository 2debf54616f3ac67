"""The seeded calendar and SLA policies: Mon–Fri 09:00–18:00 bank time, China's 2026 public
holidays and make-up working days as the State Council published them (国办发明电〔2025〕7号),
and default targets per priority. Used by a data migration (with historical models) and by
seed_demo (with the real ones); idempotent, and never overwrites what the admin changed.

2027 is not seeded: its schedule was not known for certain when this was written; add it in
the admin (Support › Calendar days) when the State Council publishes it.
"""

from datetime import date, time, timedelta

OPENS, CLOSES = time(9, 0), time(18, 0)
WEEKDAYS = (0, 1, 2, 3, 4)


def _days(first: date, last: date):
    while first <= last:
        yield first
        first += timedelta(days=1)


HOLIDAYS_2026 = [
    ("元旦", date(2026, 1, 1), date(2026, 1, 3)),
    ("春节", date(2026, 2, 15), date(2026, 2, 23)),
    ("清明节", date(2026, 4, 4), date(2026, 4, 6)),
    ("劳动节", date(2026, 5, 1), date(2026, 5, 5)),
    ("端午节", date(2026, 6, 19), date(2026, 6, 21)),
    ("中秋节", date(2026, 9, 25), date(2026, 9, 27)),
    ("国庆节", date(2026, 10, 1), date(2026, 10, 7)),
]
MAKEUP_WORKDAYS_2026 = [
    ("春节调休", date(2026, 2, 14)),
    ("春节调休", date(2026, 2, 28)),
    ("劳动节调休", date(2026, 5, 9)),
    ("国庆节调休", date(2026, 9, 20)),
    ("国庆节调休", date(2026, 10, 10)),
]

CATEGORIES = ("payment", "account", "card", "fraud", "complaint", "suggestion")
# priority -> (first response, next response, resolution), business minutes
TARGETS = {
    4: (30, 60, 8 * 60),
    3: (2 * 60, 4 * 60, 2 * 9 * 60),
    2: (4 * 60, 8 * 60, 3 * 9 * 60),
    1: (9 * 60, 2 * 9 * 60, 5 * 9 * 60),
}


def defaults_ensure(*, WorkingHours, CalendarDay, SlaPolicy) -> None:  # noqa: N803
    for weekday in WEEKDAYS:
        WorkingHours.objects.get_or_create(
            weekday=weekday, defaults={"opens": OPENS, "closes": CLOSES}
        )
    for name, first, last in HOLIDAYS_2026:
        for day in _days(first, last):
            CalendarDay.objects.get_or_create(date=day, defaults={"kind": "holiday", "name": name})
    for name, day in MAKEUP_WORKDAYS_2026:
        CalendarDay.objects.get_or_create(date=day, defaults={"kind": "workday", "name": name})
    for category in CATEGORIES:
        for priority, (first, following, resolution) in TARGETS.items():
            SlaPolicy.objects.get_or_create(
                category=category,
                priority=priority,
                defaults={
                    "first_response_minutes": first,
                    "next_response_minutes": following,
                    "resolution_minutes": resolution,
                },
            )
