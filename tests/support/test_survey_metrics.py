"""The satisfaction figures on known answers (support/metrics.py), and the results pages of the
staff portal: who may see them, the CSV export, a fixed number of queries."""

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from backoffice.models import Branch
from backoffice.roles import CAMPAIGN_ADMIN, SUPPORT_AGENT, SUPPORT_LEAD, TELLER
from support import metrics
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import customer_at, staff, staff_client

from .factories import built_survey, survey_answer, ticket

pytestmark = pytest.mark.django_db

START, END = date(2026, 10, 1), date(2026, 11, 1)
IN_OCTOBER = datetime(2026, 10, 10, 4, 0, tzinfo=UTC)


def _answers(kind, scores, **kwargs):
    for score in scores:
        survey_answer(kind=kind, score=score, at=kwargs.pop("at", IN_OCTOBER), **kwargs)


def test_csat_is_the_share_of_4_and_5_answers():
    _answers("csat", [5, 5, 4, 4, 4, 3, 2, 1, 5, 3])  # 6 of 10 are 4 or 5
    assert metrics.csat(START, END) == Decimal("60.0")
    _answers("csat", [4, 4, 1])  # 8 of 13
    assert metrics.csat(START, END) == Decimal("61.5")


def test_nps_is_promoters_minus_detractors():
    # 4 promoters (9, 10), 3 passives (7, 8), 3 detractors (0-6): 40% - 30% = 10
    _answers("nps", [10, 9, 9, 10, 8, 7, 7, 6, 0, 3])
    assert metrics.nps(START, END) == Decimal("10.0")
    _answers("nps", [0, 1])  # 4/12 - 5/12 = -8.3
    assert metrics.nps(START, END) == Decimal("-8.3")


def test_no_answers_is_no_figure_not_zero():
    assert metrics.csat(START, END) is None and metrics.nps(START, END) is None


def test_the_period_is_half_open_and_counted_in_beijing_time():
    # 2026-10-31 16:30 UTC is 2026-11-01 00:30 in Beijing: November, outside [Oct 1, Nov 1).
    survey_answer(kind="csat", score=1, at=datetime(2026, 10, 31, 16, 30, tzinfo=UTC))
    survey_answer(kind="csat", score=5, at=datetime(2026, 10, 31, 15, 30, tzinfo=UTC))
    assert metrics.csat(START, END) == Decimal("100.0")
    days = metrics.satisfaction_by(START, date(2026, 11, 2), by="day")
    assert [(r.key, r.csat) for r in days] == [
        (date(2026, 10, 31), Decimal("100.0")),
        (date(2026, 11, 1), Decimal("0.0")),
    ]
    months = metrics.satisfaction_by(START, date(2026, 11, 2), by="month")
    assert [r.key for r in months] == [date(2026, 10, 1), date(2026, 11, 1)]


def test_figures_by_branch_and_by_channel():
    east, west = (
        Branch.objects.create(code="E1", name="东城支行"),
        Branch.objects.create(code="W1", name="西城支行"),
    )
    _answers("csat", [5, 5], customer=customer_at(east))
    _answers("csat", [1, 5], customer=customer_at(west), channel="app")
    _answers("nps", [10], customer=customer_at(west), channel="inbox")
    assert metrics.csat(START, END, branch=east) == Decimal("100.0")
    assert metrics.csat(START, END, branch=west) == Decimal("50.0")
    assert metrics.nps(START, END, branch=west) == Decimal("100.0")
    by_branch = {
        r.label: (r.csat, r.csat_answers, r.nps)
        for r in metrics.satisfaction_by(START, END, by="branch")
    }
    assert by_branch == {
        "东城支行": (Decimal("100.0"), 2, None),
        "西城支行": (Decimal("50.0"), 2, Decimal("100.0")),
    }
    by_channel = {
        r.key: (r.csat_answers, r.nps_answers)
        for r in metrics.satisfaction_by(START, END, by="channel")
    }
    assert by_channel == {"link": (2, 0), "app": (2, 0), "inbox": (0, 1)}
    assert metrics.csat(START, END, channel="app") == Decimal("50.0")


def test_complaints_per_10000_customers():
    customers = [UserFactory() for _ in range(8)]
    for customer in customers[:2]:
        ticket(customer, category=Ticket.Category.COMPLAINT)
    ticket(customers[2], category=Ticket.Category.PAYMENT)  # not a complaint
    staff(SUPPORT_AGENT)  # staff are not customers
    today = timezone.localdate()  # the bank's day (Asia/Shanghai)
    # 2 complaints / 8 customers x 10,000 = 2,500
    assert metrics.complaints_per_10k(today, today + timedelta(days=1)) == Decimal("2500.00")
    # Before any of them joined there were no customers: no figure.
    assert metrics.complaints_per_10k(START, END) is None


def test_the_results_page_is_for_support_leads_and_campaign_admins(django_assert_max_num_queries):
    branch = Branch.objects.create(code="E2", name="南城支行")
    for role, allowed in (
        (SUPPORT_LEAD, True),
        (CAMPAIGN_ADMIN, True),
        (SUPPORT_AGENT, False),
        (TELLER, False),
    ):
        client = staff_client(staff(role, at=branch if role == TELLER else None))
        assert (client.get(reverse("backoffice:survey_results")).status_code == 200) == allowed, (
            role
        )
        assert (client.get(reverse("backoffice:survey_results_csv")).status_code == 200) == allowed
    customer = UserFactory()
    client = staff_client(staff(SUPPORT_LEAD))
    client.force_login(customer)
    assert client.get(reverse("backoffice:survey_results")).status_code in (302, 403)


def _lead_page(client, **params):
    return client.get(reverse("backoffice:survey_results"), params)


def test_the_results_page_shows_the_figures_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    client = staff_client(staff(SUPPORT_LEAD))
    params = {"start": "2026-10-01", "end": "2026-10-31", "period": "week"}
    _answers("csat", [5, 1])
    _lead_page(client, **params)  # warm the session
    with django_assert_max_num_queries(20) as few:
        html = _lead_page(client, **params).content.decode()
    assert "50.0%" in html
    for n in range(30):
        survey_answer(
            kind="nps" if n % 2 else "csat",
            score=9 if n % 2 else 4,
            customer=customer_at(Branch.objects.create(code=f"B{n}", name=f"支行{n}")),
            at=IN_OCTOBER + timedelta(days=n % 20),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert _lead_page(client, **params).status_code == 200
    # A bad period names the field, never a 500.
    bad = _lead_page(client, start="2026-10-31", end="2026-10-01", period="week")
    assert bad.status_code == 200 and 'id="id_end_error"' in bad.content.decode()
    assert _lead_page(client, start="x", end="", period="year").status_code == 200


def test_the_csv_export_has_every_breakdown():
    east = Branch.objects.create(code="E3", name="=东城")  # a formula-looking name is defused
    _answers("csat", [5, 4, 1, 2], customer=customer_at(east))
    _answers("nps", [10, 0])
    client = staff_client(staff(CAMPAIGN_ADMIN))
    response = client.get(
        reverse("backoffice:survey_results_csv"),
        {"start": "2026-10-01", "end": "2026-10-31", "period": "month"},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["breakdown", "key", "label", "csat_answers", "csat", "nps_answers", "nps"]
    assert rows[1] == ["total", "", "", "", "50.0", "", "0.0"]
    assert ["month", "2026-10-01", "2026-10-01", "4", "50.0", "2", "0.0"] in rows
    assert any(r[0] == "branch" and r[2] == "'=东城" for r in rows)
    assert {r[1] for r in rows if r[0] == "channel"} == {"link"}
    assert rows[-1][0] == "complaints_per_10k"


def test_per_survey_results(django_assert_max_num_queries):
    from support import surveys

    survey = built_survey()
    rating, single, multiple, text = survey.questions.order_by("position")
    first, second, _third = multiple.choices.all()
    for n, score in enumerate((5, 3)):
        surveys.survey_response_create(
            survey=survey,
            customer=UserFactory(),
            answers={
                f"q{rating.pk}": score,
                f"q{single.pk}": single.choices.first().pk,
                f"q{multiple.pk}": [first.pk, second.pk] if n else [first.pk],
                f"q{text.pk}": f"<b>建议{n}</b>",
            },
            channel="app",
        )
    responses, results = metrics.survey_results(survey)
    assert responses == 2
    assert results[0].average == Decimal("4.00")
    assert [(c.pk, n) for c, n in results[2].choices] == [
        (first.pk, 2),
        (second.pk, 1),
        (_third.pk, 0),
    ]
    assert sorted(results[3].texts) == ["<b>建议0</b>", "<b>建议1</b>"]
    client = staff_client(staff(SUPPORT_LEAD))
    url = reverse("backoffice:survey_detail_results", args=[survey.pk])
    client.get(url)
    with django_assert_max_num_queries(14):
        html = client.get(url).content.decode()
    assert "&lt;b&gt;建议0&lt;/b&gt;" in html and "<b>建议0" not in html
    assert client.get(reverse("backoffice:survey_detail_results", args=[999999])).status_code == 404
    assert staff_client(staff(SUPPORT_AGENT)).get(url).status_code == 403


def test_the_support_lead_home_shows_last_30_days_with_a_link_to_the_results():
    survey_answer(kind="csat", score=5)
    survey_answer(kind="csat", score=2)
    page = staff_client(staff(SUPPORT_LEAD)).get(reverse("backoffice:home")).content.decode()
    card = page.split('id="card-satisfaction"', 1)[1].split("</section>", 1)[0]
    assert "50.0%" in card and reverse("backoffice:survey_results") in card
    agent_home = staff_client(staff(SUPPORT_AGENT)).get(reverse("backoffice:home")).content.decode()
    assert 'id="card-satisfaction"' not in agent_home
