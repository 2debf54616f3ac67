"""The KPI dashboard page: who sees which branch, bad filters, CSV downloads, fixed queries."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.kpi import rollups
from backoffice.kpi.facts import local_day
from backoffice.roles import (
    BRANCH_MANAGER,
    CAMPAIGN_ADMIN,
    RISK_OFFICER,
    SUPPORT_AGENT,
    TELLER,
)

from .factories import staff, staff_client
from .kpi_history import History

pytestmark = pytest.mark.django_db
# Support's five figures, this period and the previous one (CSAT, NPS: one query each;
# complaints: two; SLA attainment: one; class attendance: one), whatever the data.
SUPPORT_FIGURE_QUERIES = 12
URL = reverse("backoffice:kpi_dashboard")
CSV = reverse("backoffice:kpi_csv")


@pytest.fixture
def history():
    history = History()
    history.play(
        [
            ("signup", 0, 3, 600, 0, True),
            ("signup", 1, 2, 600, 1, True),
            ("txn", 0, "top_up", 300, 2, 600, "app"),
            ("txn", 1, "top_up", 70, 1, 600, "counter"),
            ("reward", 0, 0, "grant", 100),
        ],
        refresh=rollups.refresh,
    )
    rollups.refresh()
    return history


def figure(response, key):
    return next(f for f in response.context["figures"] if f["key"] == key)["value"]


def test_a_branch_manager_sees_only_their_branch(history):
    manager = staff(BRANCH_MANAGER, at=history.branches[0])
    client = staff_client(manager)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["filters"].branch_id == history.branches[0].pk
    assert figure(response, "registrations") == 1
    assert figure(response, "txn_count") == 1
    assert client.get(URL, {"branch": history.branches[1].pk}).status_code == 404
    assert client.get(CSV, {"branch": history.branches[1].pk}).status_code == 404
    assert client.get(URL, {"branch": history.branches[0].pk}).status_code == 200


@pytest.mark.parametrize("role", [RISK_OFFICER, CAMPAIGN_ADMIN])
def test_risk_officers_and_campaign_admins_see_the_whole_bank(history, role):
    client = staff_client(staff(role))
    response = client.get(URL)
    assert response.status_code == 200
    assert figure(response, "registrations") == 2
    assert figure(response, "txn_count") == 2
    one = client.get(URL, {"branch": history.branches[1].pk, "channel": "counter"})
    assert figure(one, "txn_count") == 1
    assert f'href="{URL}"' in client.get(reverse("backoffice:home")).content.decode()


@pytest.mark.parametrize("role", [TELLER, SUPPORT_AGENT])
def test_tellers_and_support_have_no_access(history, role):
    client = staff_client(staff(role, at=history.branches[0]))
    assert client.get(URL).status_code == 403
    assert client.get(CSV).status_code == 403
    assert (
        reverse("backoffice:kpi_dashboard")
        not in client.get(reverse("backoffice:home")).content.decode()
    )


def test_customers_and_visitors_are_sent_away(client, user):
    assert client.get(URL).status_code in (302, 403)
    client.force_login(user)
    assert client.get(URL).status_code in (302, 403)
    assert client.get(CSV).status_code in (302, 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-11-20", "end": "2026-11-01"}, "start"),
        ({"start": "2020-01-01", "end": "2026-11-01"}, "start"),
        ({"grain": "year"}, "grain"),
        ({"channel": "fax"}, "channel"),
        ({"staff": "abc"}, "staff"),
    ],
)
def test_bad_filters_name_the_field_and_never_fail(history, params, field):
    client = staff_client(staff(RISK_OFFICER))
    response = client.get(URL, params)
    assert response.status_code == 200
    assert response.context["form"].errors[field]


@pytest.mark.parametrize(
    "which",
    [
        "figures",
        "breakdown",
        "cohorts",
        "onboardings",
        "growth",
        "active",
        "volume",
        "amount",
        "campaigns",
        "campaign_results",
    ],
)
def test_each_figure_set_downloads_as_csv(history, which):
    client = staff_client(staff(RISK_OFFICER))
    response = client.get(CSV, {"set": which, "grain": "week"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert len(response.content.decode("utf-8-sig").strip().splitlines()) >= 2


def test_the_page_has_a_text_alternative_and_a_table_per_chart(history):
    response = staff_client(staff(RISK_OFFICER)).get(URL)
    html = response.content.decode()
    assert html.count('class="kpi-chart"') == len(response.context["charts"]) > 0
    assert html.count('role="img"') >= len(response.context["charts"])
    for chart in response.context["charts"]:
        assert f'id="table-{chart["key"]}"' in html
    assert 'id="kpi-chart-data"' in html
    assert "<script>" not in html.split("kpi-chart-data")[0].split("<body")[-1]


@pytest.mark.parametrize("size", [1, 4])
def test_the_page_runs_a_fixed_number_of_queries(size, django_assert_max_num_queries):
    for _i in range(size):
        history = History()
        history.play(
            [("signup", 0, d, 600, 0, True) for d in range(3)]
            + [("txn", d, "top_up", 10 + d, d, 600, "web") for d in range(3)],
            refresh=lambda: None,
        )
    rollups.rebuild()
    client = staff_client(staff(RISK_OFFICER))
    today = local_day(timezone.now())
    client.get(URL)  # sessions, second factor: warm
    # 34: includes 4 for the time to activate and the customers each campaign reached
    # (this period and the previous one)
    with django_assert_max_num_queries(34 + SUPPORT_FIGURE_QUERIES):
        response = client.get(
            URL, {"start": (today - timedelta(days=90)).isoformat(), "grain": "week"}
        )
    assert response.status_code == 200
