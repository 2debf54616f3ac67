"""Nobody guesses public holidays: when the SLA calendar has none for this year (or, from
October, for next year, once the State Council usually publishes it), support leads are warned
on the SLA page and in the admin's calendar pages until someone enters them."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from backoffice import roles
from support import sla
from support.models_sla import CalendarDay
from tests.backoffice.factories import staff, staff_client

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
SLA_PAGE = reverse("backoffice:support_sla")
WARNING_2027 = "Public holidays for 2027 are not entered yet"


@pytest.fixture
def calendar_2026():
    """Only 2026's holidays, as seeded (the rows of the data migration are not relied on)."""
    CalendarDay.objects.all().delete()
    CalendarDay.objects.create(date=date(2026, 10, 1), kind="holiday", name="国庆节")
    CalendarDay.objects.create(date=date(2026, 9, 20), kind="workday", name="国庆节调休")


def _on(day: date):
    return time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=SH), tick=False)


@pytest.mark.usefixtures("calendar_2026")
@pytest.mark.parametrize(
    "today,missing",
    [
        (date(2026, 6, 1), []),  # 2027's schedule is not published yet: nothing to enter
        (date(2026, 11, 27), [2027]),
        (date(2027, 1, 4), [2027]),  # the new year began without its holidays
        (date(2027, 12, 1), [2027, 2028]),
    ],
)
def test_the_years_whose_holidays_are_missing(today, missing):
    with _on(today):
        assert sla.years_without_holidays() == missing


@pytest.mark.usefixtures("calendar_2026")
def test_a_make_up_working_day_alone_is_not_a_years_holidays():
    CalendarDay.objects.create(date=date(2027, 2, 6), kind="workday", name="春节调休")
    assert sla.years_without_holidays(today=date(2026, 11, 27)) == [2027]
    CalendarDay.objects.create(date=date(2027, 1, 1), kind="holiday", name="元旦")
    assert sla.years_without_holidays(today=date(2026, 11, 27)) == []


@pytest.mark.usefixtures("calendar_2026")
def test_the_lead_is_warned_on_the_sla_page_until_2027_is_entered():
    lead, agent = staff(roles.SUPPORT_LEAD), staff(roles.SUPPORT_AGENT)
    with _on(date(2026, 11, 27)):
        page = _en(staff_client(lead)).get(SLA_PAGE).content.decode()
        assert WARNING_2027 in page and 'data-testid="calendar-warning"' in page
        # The agent has no calendar to keep: no warning on their page.
        assert WARNING_2027 not in _en(staff_client(agent)).get(SLA_PAGE).content.decode()
        # Nothing was invented for 2027 on the way.
        assert not CalendarDay.objects.filter(date__year=2027).exists()

        CalendarDay.objects.create(date=date(2027, 1, 1), kind="holiday", name="元旦")
        page = _en(staff_client(lead)).get(SLA_PAGE).content.decode()
        assert 'data-testid="calendar-warning"' not in page


@pytest.mark.usefixtures("calendar_2026")
@pytest.mark.parametrize("model", ["calendarday", "workinghours", "slapolicy"])
def test_the_admins_calendar_pages_warn_too(model):
    lead = staff(roles.SUPPORT_LEAD)
    with _on(date(2026, 11, 27)):
        page = _en(staff_client(lead)).get(reverse(f"admin:support_{model}_changelist"))
    assert page.status_code == 200
    assert WARNING_2027 in page.content.decode()


def _en(client):
    """Pages in English: the Chinese of the new texts joins the catalog at merge."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client
