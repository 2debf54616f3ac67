"""The business-hours calendar: adding and counting business minutes over evenings, weekends,
public holidays and make-up working days (调休), as known answers and as properties."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from support import sla_defaults
from support.business_hours import (
    BusinessCalendar,
    NoWorkingTime,
    add_business_minutes,
    business_minutes_between,
    business_time_between,
    calendar_load,
)

SH = ZoneInfo("Asia/Shanghai")
NINE_TO_SIX = (time(9), time(18))


def _bank_calendar() -> BusinessCalendar:
    holidays = {
        day
        for _name, first, last in sla_defaults.HOLIDAYS_2026
        for day in sla_defaults._days(first, last)
    }
    return BusinessCalendar(
        tz=SH,
        hours=dict.fromkeys(range(5), NINE_TO_SIX),
        holidays=frozenset(holidays),
        workdays={day: NINE_TO_SIX for _name, day in sla_defaults.MAKEUP_WORKDAYS_2026},
    )


CAL = _bank_calendar()


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        # within a day
        (at(2026, 11, 30, 10, 0), 90, at(2026, 11, 30, 11, 30)),
        # before opening: counts from 09:00
        (at(2026, 11, 30, 7, 15), 30, at(2026, 11, 30, 9, 30)),
        # ending exactly at closing time ends then, not the next morning
        (at(2026, 11, 30, 17, 0), 60, at(2026, 11, 30, 18, 0)),
        # Friday evening over the weekend
        (at(2026, 11, 27, 17, 30), 60, at(2026, 11, 30, 9, 30)),
        (at(2026, 11, 28, 12, 0), 1, at(2026, 11, 30, 9, 1)),
        # 国庆: Oct 1–7 are holidays, a Wednesday evening runs on into Thursday Oct 8
        (at(2026, 9, 30, 17, 0), 120, at(2026, 10, 8, 10, 0)),
        # 调休: Saturday Oct 10 and Sunday Sep 20 are working days
        (at(2026, 10, 9, 17, 0), 120, at(2026, 10, 10, 10, 0)),
        (at(2026, 9, 19, 17, 0), 30, at(2026, 9, 20, 9, 30)),
        # 春节: Feb 15–23 off, Saturday Feb 14 worked
        (at(2026, 2, 13, 17, 0), 120, at(2026, 2, 14, 10, 0)),
        (at(2026, 2, 14, 17, 0), 120, at(2026, 2, 24, 10, 0)),
        # zero minutes is the instant itself, even at night
        (at(2026, 11, 28, 23, 0), 0, at(2026, 11, 28, 23, 0)),
    ],
)
def test_adding_business_minutes_known_answers(start, minutes, expected):
    assert add_business_minutes(start, minutes, CAL) == expected


def test_counting_business_minutes_known_answers():
    assert business_minutes_between(at(2026, 11, 27, 17, 0), at(2026, 11, 30, 10, 0), CAL) == 120
    assert business_minutes_between(at(2026, 9, 30, 9, 0), at(2026, 10, 8, 9, 0), CAL) == 540
    # the make-up Saturday counts, the holiday week does not
    assert business_minutes_between(at(2026, 10, 9, 9, 0), at(2026, 10, 11, 9, 0), CAL) == 1080
    assert business_minutes_between(at(2026, 12, 1, 12, 0), at(2026, 12, 1, 11, 0), CAL) == 0


def test_a_calendar_without_working_hours_is_refused_not_looped_on():
    with pytest.raises(NoWorkingTime):
        add_business_minutes(at(2026, 1, 1), 1, BusinessCalendar(tz=SH, hours={}))
    with pytest.raises(ValueError, match="aware"):
        add_business_minutes(datetime(2026, 1, 1), 1, CAL)  # noqa: DTZ001


@pytest.mark.django_db
def test_the_seeded_calendar_is_the_state_councils_2026_schedule():
    loaded = calendar_load()
    assert loaded.hours[0] == NINE_TO_SIX and 5 not in loaded.hours and 6 not in loaded.hours
    assert loaded.holidays == CAL.holidays and set(loaded.workdays) == set(CAL.workdays)
    assert len(loaded.holidays) == 3 + 9 + 3 + 5 + 3 + 3 + 7
    assert date(2026, 10, 10) in loaded.workdays and date(2026, 5, 9) in loaded.workdays


instants = st.datetimes(
    min_value=datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 12, 20),  # noqa: DTZ001
    timezones=st.just(SH),
)
minutes = st.integers(min_value=0, max_value=20 * 540)


@settings(max_examples=100, deadline=None)
@given(start=instants, n=minutes)
def test_counting_undoes_adding(start, n):
    end = add_business_minutes(start, n, CAL)
    assert end >= start
    assert business_time_between(start, end, CAL) == timedelta(minutes=n)


@settings(max_examples=100, deadline=None)
@given(start=instants, a=minutes, b=minutes)
def test_adding_in_two_steps_is_adding_once(start, a, b):
    assert add_business_minutes(add_business_minutes(start, a, CAL), b, CAL) == (
        add_business_minutes(start, a + b, CAL)
    )


@settings(max_examples=100, deadline=None)
@given(start=instants, n=st.integers(min_value=1, max_value=20 * 540))
def test_a_clock_ends_inside_working_hours(start, n):
    end = add_business_minutes(start, n, CAL)
    assert CAL.is_working_time(end - timedelta(seconds=1))


@settings(max_examples=100, deadline=None)
@given(a=instants, b=instants, c=instants)
def test_counting_adds_up_over_consecutive_spans(a, b, c):
    a, b, c = sorted((a, b, c))
    assert business_time_between(a, b, CAL) + business_time_between(b, c, CAL) == (
        business_time_between(a, c, CAL)
    )
