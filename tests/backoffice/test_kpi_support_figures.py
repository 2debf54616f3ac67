"""Support's figures on the KPI dashboard are support's own definitions (support/metrics.py,
support/sla.py, support/classes.py) over the dashboard's period, whole days with both ends
included, and its branch."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from backoffice.kpi.figures import dashboard
from backoffice.kpi.filters import KpiFilters
from backoffice.models import Branch
from tests.backoffice.factories import customer_at
from tests.support.factories import survey_answer

pytestmark = pytest.mark.django_db

OCTOBER = KpiFilters(start=date(2026, 10, 1), end=date(2026, 10, 31), grain="month")
# The last evening of October in Beijing is still October for the dashboard.
LAST_EVENING = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # 23:30 in Beijing


def _figure(result, key):
    return next(figure for figure in result["figures"] if figure["key"] == key)


def test_csat_and_nps_come_from_the_survey_answers_of_the_period_and_branch():
    home = Branch.objects.create(code="KPI-S", name="满意度支行")
    for score in (5, 4, 4, 2):  # 3 of 4 satisfied
        survey_answer(kind="csat", score=score, customer=customer_at(home), at=LAST_EVENING)
    survey_answer(kind="csat", score=1, at=LAST_EVENING)  # another branch's customer
    for score in (10, 9, 3):  # 2 promoters, 1 detractor of 3
        survey_answer(kind="nps", score=score, at=LAST_EVENING)

    whole_bank = dashboard(OCTOBER, source="rollup")
    assert _figure(whole_bank, "csat")["value"] == Decimal("0.6")  # 3 of 5
    assert _figure(whole_bank, "nps")["value"] == Decimal("33.3")
    assert _figure(whole_bank, "csat")["previous"] is None  # September had no answers

    one_branch = dashboard(
        KpiFilters(start=OCTOBER.start, end=OCTOBER.end, grain="month", branch_id=home.pk)
    )
    assert _figure(one_branch, "csat")["value"] == Decimal("0.75")


def test_every_support_figure_is_on_the_dashboard_even_without_data():
    keys = {figure["key"] for figure in dashboard(OCTOBER)["figures"]}
    assert {"csat", "nps", "complaints_per_10k", "sla_attainment", "class_attendance"} <= keys
