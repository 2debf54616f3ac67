"""Median time to activate (whole hours, lower median) and cost per activation and per retained
customer per campaign (who a campaign reached), from the roll-ups and straight from the data."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.kpi import rollups
from backoffice.kpi.activation import lower_median
from backoffice.kpi.definitions import ACTIVATION_HOURS_CAP
from backoffice.kpi.facts import local_day
from backoffice.kpi.figures import dashboard
from backoffice.kpi.filters import KpiFilters
from backoffice.roles import RISK_OFFICER
from backoffice.views_kpi import _hours_shown
from promotions.models import Redemption
from wallet.models import Wallet

from .factories import staff, staff_client
from .kpi_history import History, moment

pytestmark = pytest.mark.django_db


def _filters(**kwargs):
    today = local_day(timezone.now())
    return KpiFilters(start=today - timedelta(days=20), end=today, **kwargs)


def _figures(filters, source="rollup"):
    return {f["key"]: f["value"] for f in dashboard(filters, source=source)["figures"]}


def _both(filters):
    """The figures from the roll-ups, checked against the raw computation."""
    rollups.refresh()
    assert dashboard(filters) == dashboard(filters, source="raw")
    return _figures(filters)


def _activate_after(history, index, delay):
    user = history.customers[index]
    Wallet.objects.filter(user=user).update(
        status=Wallet.Status.ACTIVE,
        activated_at=user.__class__.objects.get(pk=user.pk).date_joined + delay,
    )


# --- median time to activate ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("histogram", "median"),
    [
        ({}, None),
        ({0: 0}, None),
        ({5: 1}, 5),
        ({1: 1, 2: 1, 3: 1}, 2),  # odd: the middle one
        ({1: 1, 2: 1, 3: 1, 40: 1}, 2),  # even: the smaller of the two middle ones
        ({3: 2, 100: 2}, 3),
        ({3: 1, 100: 2}, 100),
        ({ACTIVATION_HOURS_CAP: 3, 1: 1}, ACTIVATION_HOURS_CAP),
    ],
)
def test_the_median_is_the_lower_median_of_the_hours(histogram, median):
    assert lower_median(histogram) == median


def test_time_to_activate_counts_whole_hours_and_caps_long_waits():
    history = History()
    for _i in range(5):
        history.signup(0, 10, 600, None, False)
    rollups.refresh()
    _activate_after(history, 0, timedelta(minutes=59, seconds=59))  # 0 h
    _activate_after(history, 1, timedelta(hours=5))  # exactly 5 h
    _activate_after(history, 2, timedelta(hours=5, minutes=59))  # 5 h
    _activate_after(history, 3, timedelta(hours=7))
    # never activated: customer 4; the fifth activated "long ago" is capped (see below)
    figures = _both(_filters())
    # 0, 5, 5, 7: the lower median of four is the second, 5 h
    assert figures["median_activation"] == 5
    assert figures["activated"] == 4

    from backoffice.models_kpi import KpiActivationDelayDaily

    rows = dict(KpiActivationDelayDaily.objects.values_list("hours", "count"))
    assert rows == {0: 1, 5: 2, 7: 1}


def test_a_wait_of_more_than_the_cap_counts_as_the_cap():
    history = History()
    for _i in range(3):
        history.signup(1, 15, 30, None, False)
    rollups.refresh()
    for index in range(3):
        _activate_after(history, index, timedelta(days=200))
    figures = _both(_filters())
    assert figures["median_activation"] == ACTIVATION_HOURS_CAP


def test_nobody_activated_gives_no_median_not_a_crash(english):
    history = History()
    history.signup(0, 3, 600, None, True)
    figures = _both(_filters())
    assert figures["registrations"] == 1
    assert figures["median_activation"] is None
    response = staff_client(staff(RISK_OFFICER)).get(reverse("backoffice:kpi_dashboard"))
    html = response.content.decode()
    assert 'data-testid="figure-median_activation">—<' in html


def test_the_median_reads_in_hours_then_days(english):
    assert _hours_shown(0) == "0 h"
    assert _hours_shown(47) == "47 h"
    assert _hours_shown(60) == "2.5 days"
    assert _hours_shown(ACTIVATION_HOURS_CAP) == "90 days or more"


def test_the_median_follows_the_branch_filter():
    history = History()
    history.signup(0, 5, 600, None, False)
    history.signup(1, 5, 600, None, False)
    rollups.refresh()
    _activate_after(history, 0, timedelta(hours=2))
    _activate_after(history, 1, timedelta(hours=30))
    assert _both(_filters(branch_id=history.branches[0].pk))["median_activation"] == 2
    assert _both(_filters(branch_id=history.branches[1].pk))["median_activation"] == 30


# --- cost per campaign ---------------------------------------------------------------------


def _campaign_history():
    """Three new customers: 0 activated and active in week 4 (signed up 30 days ago),
    1 activated, 2 never activated."""
    history = History()
    history.signup(0, 30, 600, 0, False)
    history.signup(0, 3, 600, 1, False)
    history.signup(1, 3, 600, None, False)
    history.txn(0, "top_up", 100, 1, 600, "web")  # week 4 of customer 0 (days 28..34)
    return history


def _table(filters):
    rollups.refresh()
    data = dashboard(filters)
    assert data == dashboard(filters, source="raw")
    return {row["campaign_id"]: row for row in data["campaign_table"]}


def test_a_customer_reached_by_two_campaigns_counts_for_each():
    history = _campaign_history()
    rollups.refresh()
    history.reward(0, 0, "grant", 100)  # 10.00 from campaign A
    history.reward(0, 0, "voucher", 50)  # the same campaign again: still one customer
    history.reward(0, 1, "grant", 200)  # 20.00 from campaign B
    history.reward(1, 1, "voucher", 30)  # B reaches customer 1 too (a voucher costs nothing yet)
    a, b = history.campaigns
    filters = KpiFilters(
        start=local_day(timezone.now()) - timedelta(days=35), end=local_day(timezone.now())
    )
    table = _table(filters)
    assert table[a.pk]["reached"] == 1
    assert table[a.pk]["activated"] == 1
    assert table[a.pk]["retained"] == 1
    assert table[a.pk]["cost"] == Decimal("10.00")
    assert table[a.pk]["cost_per_activation"] == Decimal("10.00")
    assert table[b.pk]["reached"] == 2
    assert table[b.pk]["activated"] == 2
    assert table[b.pk]["retained"] == 1
    assert table[b.pk]["cost_per_activation"] == Decimal("10.00")  # 20.00 ÷ 2
    assert table[b.pk]["cost_per_retained"] == Decimal("20.00")

    headline = _figures(_filters_for(filters, campaign_id=b.pk))
    assert headline["campaign_cost"] == Decimal("20.00")
    assert headline["cost_per_activation"] == Decimal("10.00")
    assert headline["cost_per_retained"] == Decimal("20.00")
    # without a campaign: all campaign cost ÷ all the period's activations (3 customers, 2 + 1)
    everyone = _figures(filters)
    assert everyone["campaign_cost"] == Decimal("30.00")
    assert everyone["cost_per_activation"] == Decimal("15.00")


def _filters_for(filters, **kwargs):
    from dataclasses import replace

    return replace(filters, **kwargs)


def test_cost_per_activation_with_no_activation_is_no_value_not_a_crash(english):
    history = _campaign_history()
    rollups.refresh()
    history.reward(2, 0, "grant", 100)  # only the customer who never activated
    campaign = history.campaigns[0]
    filters = _filters(campaign_id=campaign.pk)
    table = _table(filters)
    assert table[campaign.pk]["reached"] == 1
    assert table[campaign.pk]["activated"] == 0
    assert table[campaign.pk]["cost_per_activation"] is None
    assert table[campaign.pk]["cost_per_retained"] is None
    figures = _figures(filters)
    assert figures["cost_per_activation"] is None
    assert figures["cost_per_retained"] is None
    client = staff_client(staff(RISK_OFFICER))
    response = client.get(reverse("backoffice:kpi_dashboard"), {"campaign": campaign.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="kpi-campaign-results"' in html
    assert campaign.name in html
    csv = client.get(
        reverse("backoffice:kpi_csv"), {"campaign": campaign.pk, "set": "campaign_results"}
    )
    lines = csv.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0].startswith("Campaign,Cost (CNY),Customers reached")
    assert lines[1].startswith(f"{campaign.name},10.00,1,0,,0,")


def test_a_discount_taken_back_no_longer_counts_the_customer_as_reached():
    history = _campaign_history()
    history.txn(1, "top_up", 50, 1, 600, "app")
    history.reward(1, 0, "discount", 50)
    campaign = history.campaigns[0]
    filters = _filters()
    assert _table(filters)[campaign.pk]["reached"] == 1
    redemption = Redemption.objects.get(campaign=campaign)
    history.reverse(
        history.posted.index(next(t for t in history.posted if t.pk == redemption.transaction_id))
    )
    redemption.refresh_from_db()
    assert redemption.reversed_by_id is not None
    table = _table(filters)
    assert campaign.pk not in table or table[campaign.pk]["reached"] == 0


def test_a_grant_long_after_signing_up_counts_in_the_sign_up_cohort():
    """The incremental refresh redoes the customer's sign-up day when a campaign reaches them."""
    history = History()
    history.signup(0, 60, 600, 0, False)  # older than any window the refresh redoes anyway
    today = local_day(timezone.now())
    filters = KpiFilters(start=today - timedelta(days=61), end=today)
    rollups.refresh()
    history.reward(0, 0, "grant", 100)
    table = _table(filters)
    campaign = history.campaigns[0]
    assert table[campaign.pk]["reached"] == 1
    assert table[campaign.pk]["activated"] == 1
    assert moment(60, 600).date() <= today
