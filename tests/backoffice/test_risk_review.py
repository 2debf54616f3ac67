"""The review queue, a case with the customer's context and its decisions, and the live monitor:
risk officers only, audited, a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from backoffice import roles
from backoffice.models import AuditEvent
from tests.wallet.factories import WalletFactory, balance, funded_wallet
from tests.wallet.risk_support import rule, transfer
from wallet.audit import ledger_breaches
from wallet.models import RiskCase, RiskRule, Wallet

from .factories import staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff(roles.RISK_OFFICER)


def _held_cases(n: int, amount="600.00"):
    if not RiskRule.objects.filter(code=RiskRule.Code.LARGE_AMOUNT).exists():
        rule(RiskRule.Code.LARGE_AMOUNT, amount_threshold="500", score=40)
    cases = []
    for i in range(n):
        sender, payee = funded_wallet("1000.00"), WalletFactory()
        body = transfer(sender.user, payee.handle, amount, f"q{i}-{sender.pk}").json()
        assert body["status"] == "held"
        cases.append(RiskCase.objects.get(held_transaction_id=body["id"]))
    return cases


def test_the_queue_lists_open_cases_soonest_due_first(officer):
    first, second = _held_cases(2)
    page = staff_client(officer).get(reverse("backoffice:risk_queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index(f"#{first.pk}<") < html.index(f"#{second.pk}<")
    assert "Large amount" in html or "大额" in html


@pytest.mark.parametrize(
    "role", [roles.TELLER, roles.BRANCH_MANAGER, roles.SUPPORT_AGENT, roles.CAMPAIGN_ADMIN]
)
def test_only_risk_officers_reach_the_queue_cases_and_monitor(role):
    (case,) = _held_cases(1)
    client = staff_client(staff(role))
    for name, kwargs in [
        ("backoffice:risk_queue", {}),
        ("backoffice:risk_monitor", {}),
        ("backoffice:risk_case", {"pk": case.pk}),
    ]:
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403
    decide = reverse("backoffice:risk_case_decide", kwargs={"pk": case.pk})
    assert client.post(decide, {"decision": "release"}).status_code == 403
    case.refresh_from_db()
    assert case.status == RiskCase.Status.OPEN


def test_a_case_shows_the_customers_context_and_the_look_is_audited(officer):
    (case,) = _held_cases(1)
    page = staff_client(officer).get(reverse("backoffice:risk_case", kwargs={"pk": case.pk}))
    assert page.status_code == 200
    html = page.content.decode()
    for section in ("activity-h", "devices-h", "linked-h", "earlier-h", "notes-h", "decide-h"):
        assert f'id="{section}"' in html
    seen = AuditEvent.objects.get(action=AuditEvent.Action.RISK_CASE_VIEW)
    assert (seen.actor, seen.customer, seen.detail) == (
        officer,
        case.wallet.user,
        {"case": case.pk},
    )


def test_earlier_cases_are_the_customers_other_cases_not_the_one_open():
    from backoffice.risk_review import case_open

    rule(RiskRule.Code.LARGE_AMOUNT, amount_threshold="500", score=40)
    sender = funded_wallet("2000.00")
    held = [
        transfer(sender.user, WalletFactory().handle, "600.00", f"e{i}-{sender.pk}").json()
        for i in range(2)
    ]
    first, second = (RiskCase.objects.get(held_transaction_id=body["id"]) for body in held)
    context = case_open(actor=staff(roles.RISK_OFFICER), pk=second.pk)
    assert [case.pk for case in context["earlier"]] == [first.pk]


def test_release_from_the_page_posts_once_and_is_audited(officer):
    (case,) = _held_cases(1)
    client = staff_client(officer)
    url = reverse("backoffice:risk_case_decide", kwargs={"pk": case.pk})
    assert client.post(url, {"decision": "release", "note": "已电话核实"}).status_code == 302
    assert client.post(url, {"decision": "reject"}).status_code == 302  # refused: decided
    case.refresh_from_db()
    assert case.status == RiskCase.Status.RELEASED
    assert balance(case.payee_wallet) == Decimal("600.00")
    event = AuditEvent.objects.get(action=AuditEvent.Action.RISK_RELEASE)
    assert (
        event.reason == "已电话核实" and event.detail["transaction"] == case.release_transaction_id
    )
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.RISK_REJECT).exists()
    assert ledger_breaches() == []


def test_reject_ask_note_and_freeze(officer):
    first, second = _held_cases(2)
    client = staff_client(officer)

    def decide(case, decision, note=""):
        url = reverse("backoffice:risk_case_decide", kwargs={"pk": case.pk})
        return client.post(url, {"decision": decision, "note": note})

    decide(first, "note", "客户来电")
    decide(first, "ask")
    first.refresh_from_db()
    assert first.status == RiskCase.Status.ASKED
    assert [n.text for n in first.notes.all()] == ["客户来电"]
    decide(first, "reject", "疑似诈骗")
    first.refresh_from_db()
    assert first.status == RiskCase.Status.REJECTED
    assert balance(first.wallet) == Decimal("1000.00")
    decide(second, "freeze", "账户异常")
    assert Wallet.objects.get(pk=second.wallet_id).status == Wallet.Status.FROZEN
    second.refresh_from_db()
    assert second.is_open  # freezing leaves the payment to decide
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        AuditEvent.Action.RISK_NOTE,
        AuditEvent.Action.RISK_ASK,
        AuditEvent.Action.RISK_REJECT,
        AuditEvent.Action.WALLET_FREEZE,
    } <= actions
    assert ledger_breaches() == []


def test_the_queue_and_a_case_run_a_fixed_number_of_queries(officer, django_assert_max_num_queries):
    client = staff_client(officer)
    (case,) = _held_cases(1)
    queue = reverse("backoffice:risk_queue")
    detail = reverse("backoffice:risk_case", kwargs={"pk": case.pk})
    with django_assert_max_num_queries(30) as few:
        client.get(queue)
    queue_queries = len(few.captured_queries)
    with django_assert_max_num_queries(40) as few:
        client.get(detail)
    case_queries = len(few.captured_queries)
    _held_cases(6)
    # The same customer with more history and earlier cases.
    sender = case.wallet
    payee = case.payee_wallet
    for i in range(3):
        transfer(sender.user, payee.handle, "1.00", f"more-{i}")
    with django_assert_max_num_queries(queue_queries):
        client.get(queue)
    with django_assert_max_num_queries(case_queries):
        client.get(detail)


def test_the_monitor_counts_flags_hit_rates_and_open_cases_and_refreshes(officer):
    _held_cases(2)
    client = staff_client(officer)
    page = client.get(reverse("backoffice:risk_monitor")).content.decode()
    assert 'hx-trigger="every 10s"' in page
    live = client.get(reverse("backoffice:risk_monitor"), HTTP_HX_REQUEST="true")
    html = live.content.decode()
    assert "<html" not in html
    assert 'data-testid="monitor-open">2<' in html
    assert "100.0%" in html  # the large-amount rule hit both payments judged


def test_the_monitor_runs_a_fixed_number_of_queries(officer, django_assert_max_num_queries):
    client = staff_client(officer)
    url = reverse("backoffice:risk_monitor")
    with django_assert_max_num_queries(25) as few:
        client.get(url, HTTP_HX_REQUEST="true")
    baseline = len(few.captured_queries)
    _held_cases(4)
    with django_assert_max_num_queries(baseline):
        client.get(url, HTTP_HX_REQUEST="true")


def test_risk_officers_see_held_payments_on_their_home_page(officer):
    (case,) = _held_cases(1)
    html = staff_client(officer).get(reverse("backoffice:home")).content.decode()
    assert 'id="card-risk-held"' in html
    assert reverse("backoffice:risk_case", kwargs={"pk": case.pk}) in html


def test_seed_demo_leaves_suspicious_transfers_in_the_queue(officer):
    from django.core.management import call_command

    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)
    cases = RiskCase.objects.filter(status=RiskCase.Status.OPEN)
    assert cases.count() == 2
    assert RiskRule.objects.filter(enabled=True).count() >= 8
    html = staff_client(officer).get(reverse("backoffice:risk_queue")).content.decode()
    for case in cases:
        assert f"#{case.pk}<" in html
    assert ledger_breaches() == []
