"""The property of test_kpi_rollups.py on PostgreSQL: its day truncation in Asia/Shanghai, JSON
keys and the ledger's triggers are the production ones."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings

from backoffice.kpi import rollups

from . import test_kpi_rollups
from .kpi_history import CAMPAIGN_HISTORY, History, events
from .test_kpi_rollups import PAID_BEFORE_SIGNING_UP, assert_rollups_equal_raw

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=events)
@example(steps=CAMPAIGN_HISTORY)
@example(steps=PAID_BEFORE_SIGNING_UP)
def test_incremental_rollups_equal_the_raw_computation_on_postgresql(steps):
    with transaction.atomic():
        history = History()
        rollups.refresh()
        history.play(steps, refresh=rollups.refresh)
        rollups.refresh()
        assert_rollups_equal_raw(history)
        transaction.set_rollback(True)


# PostgreSQL's own window function and date arithmetic in facts.active_counts.
test_daily_weekly_and_monthly_actives_on_postgresql = (
    test_kpi_rollups.test_daily_weekly_and_monthly_actives_equal_counting_each_window
)
