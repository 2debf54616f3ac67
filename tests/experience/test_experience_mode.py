"""Experience mode (体验区): a teller starts a demo wallet on a branch device; demo money only,
sample shops and contacts, reset on demand and after 15 minutes, never the real ledger."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from backoffice import roles
from backoffice.models import AuditEvent
from experience.cards import experience_card
from experience.models import ExperienceEntry, ExperienceSession
from experience.selectors import COOKIE_NAME, experience_starts
from experience.services import experience_sessions_delete_expired
from experience.tasks import sessions_delete_expired_task
from tests.backoffice.factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

START = reverse("experience_staff:start")
HOME = reverse("experience:home")
PAY = reverse("experience:pay")
TRANSFER = reverse("experience:transfer")
TOP_UP = reverse("experience:top_up")
HISTORY = reverse("experience:history")
RESET = reverse("experience:reset")


def _ledger_counts() -> dict[str, int]:
    counts = {m.__name__: m.objects.count() for m in apps.get_app_config("wallet").get_models()}
    counts["User"] = User.objects.count()
    return counts


def _start(teller=None) -> tuple[Client, ExperienceSession]:
    teller = teller or staff(roles.TELLER, branch("EXP1"))
    client = staff_client(teller)
    response = client.post(START)
    assert response.status_code == 302 and response["Location"] == HOME
    return client, ExperienceSession.objects.filter(staff=teller).latest("pk")


def _pay(client, merchant="coffee", amount="25.50", key="k-pay-1"):
    return client.post(PAY, {"merchant": merchant, "amount": amount, "idempotency_key": key})


def test_a_teller_starts_a_demo_with_demo_money_attributed_and_audited():
    home = branch("EXP1")
    teller = staff(roles.TELLER, home)
    client, session = _start(teller)
    assert session.branch == home and session.balance == Decimal("1000.00")
    assert session.expires_at - session.started_at == timedelta(minutes=15)
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPERIENCE_START)
    assert event.actor == teller and event.detail["branch_id"] == home.pk
    page = client.get(HOME).content.decode()
    assert "1,000.00" in page and 'data-testid="demo-banner"' in page
    # The device left the staff portal: its staff session is gone.
    assert client.get(reverse("backoffice:home")).status_code == 302
    assert "_auth_user_id" not in client.session
    assert list(experience_starts(staff_ids=[teller.pk])) == [{"actor_id": teller.pk, "started": 1}]


@pytest.mark.parametrize(
    "role", [roles.SUPPORT_AGENT, roles.SUPPORT_LEAD, roles.CAMPAIGN_ADMIN, roles.RISK_OFFICER]
)
def test_other_staff_roles_cannot_start_it(role):
    client = staff_client(staff(role, branch("EXP1")))
    assert client.get(START).status_code == 403
    assert client.post(START).status_code == 403
    assert not ExperienceSession.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPERIENCE_START).exists()


def test_customers_and_visitors_cannot_start_it():
    client = Client()
    client.force_login(customer_at(branch("EXP1")))
    assert client.post(START).status_code in (302, 403)  # not a staff member
    assert Client().post(START).status_code in (302, 403)
    assert not ExperienceSession.objects.exists()


def test_a_branch_manager_can_start_it_but_not_staff_without_a_branch():
    _start(staff(roles.BRANCH_MANAGER, branch("EXP1")))
    homeless = staff_client(staff(roles.TELLER, None))
    homeless.cookies["wallet_language"] = "en"
    response = homeless.post(START, follow=True)
    assert ExperienceSession.objects.count() == 1
    assert "your staff profile has no branch" in response.content.decode()


def test_pay_a_sample_shop_shows_a_receipt_and_history():
    client, session = _start()
    response = _pay(client)
    entry = ExperienceEntry.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("experience:receipt", kwargs={"pk": entry.pk})
    session.refresh_from_db()
    assert session.balance == Decimal("974.50") and entry.balance_after == Decimal("974.50")
    receipt = client.get(response["Location"]).content.decode()
    assert entry.reference in receipt and "25.50" in receipt
    assert entry.reference not in Client().get(response["Location"]).content.decode()
    assert "25.50" in client.get(HISTORY).content.decode()


def test_pay_by_the_code_of_a_sample_qr():
    client, session = _start()
    _pay(client, merchant=" demo-market ")
    assert ExperienceEntry.objects.get().counterparty == "market"


def test_a_double_click_pays_once():
    client, session = _start()
    _pay(client, key="same")
    _pay(client, key="same")
    session.refresh_from_db()
    assert ExperienceEntry.objects.count() == 1 and session.balance == Decimal("974.50")


def test_transfer_to_a_sample_contact_and_top_up():
    client, session = _start()
    client.post(TRANSFER, {"contact": "mei", "amount": "100", "idempotency_key": "t1"})
    client.post(TOP_UP, {"amount": "50.00", "idempotency_key": "u1"})
    session.refresh_from_db()
    assert session.balance == Decimal("950.00")
    kinds = list(ExperienceEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["transfer", "top_up"]


@pytest.mark.parametrize(
    ("url", "data", "field_error"),
    [
        (PAY, {"merchant": "coffee", "amount": "0"}, "greater than zero"),
        (PAY, {"merchant": "coffee", "amount": "-5"}, "greater than zero"),
        (PAY, {"merchant": "coffee", "amount": "1000.01"}, "Not enough demo money"),
        (PAY, {"merchant": "coffee", "amount": "1.234"}, "decimal places"),
        (PAY, {"merchant": "nowhere", "amount": "10"}, "No sample shop has this code"),
        (TRANSFER, {"contact": "stranger", "amount": "10"}, "valid choice"),
        (TRANSFER, {"contact": "jun", "amount": "2000"}, "Not enough demo money"),
        (TOP_UP, {"amount": "4000.01"}, "at most 5000.00"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_changes_nothing(url, data, field_error):
    client, session = _start()
    client.cookies["wallet_language"] = "en"
    response = client.post(url, {**data, "idempotency_key": "bad"})
    assert response.status_code == 200
    page = response.content.decode()
    assert field_error in page and 'class="field field-invalid"' in page
    session.refresh_from_db()
    assert session.balance == Decimal("1000.00") and not ExperienceEntry.objects.exists()


def test_reset_restores_the_starting_balance_and_clears_history():
    client, session = _start()
    _pay(client, amount="300")
    assert client.post(RESET).status_code == 302
    session.refresh_from_db()
    assert session.balance == Decimal("1000.00") and session.resets == 1
    assert not ExperienceEntry.objects.exists()


def test_after_15_minutes_every_page_says_ended_and_the_task_deletes_it(monkeypatch):
    client, session = _start()
    _pay(client)
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    for url in (HOME, PAY, HISTORY, reverse("experience:security")):
        page = client.get(url).content.decode()
        assert 'data-testid="demo-restart"' in page and "974.50" not in page
    response = _pay(client, key="after")
    assert 'data-testid="demo-restart"' in response.content.decode()
    assert ExperienceEntry.objects.count() == 1
    assert sessions_delete_expired_task() == 1
    assert not ExperienceSession.objects.exists() and not ExperienceEntry.objects.exists()
    # The count per teller survives in the audit trail.
    assert experience_starts(staff_ids=[session.staff_id]).get()["started"] == 1


def test_the_task_keeps_sessions_still_running():
    _start()
    assert experience_sessions_delete_expired() == 0
    assert ExperienceSession.objects.count() == 1


def test_no_cookie_or_a_forged_one_shows_ended():
    _start()
    assert 'data-testid="demo-restart"' in Client().get(HOME).content.decode()
    forged = Client()
    forged.cookies[COOKIE_NAME] = ExperienceSession.objects.get().token  # unsigned
    assert 'data-testid="demo-restart"' in forged.get(HOME).content.decode()


def test_another_device_cannot_open_a_receipt():
    client, _ = _start()
    _pay(client)
    entry = ExperienceEntry.objects.get()
    other, _ = _start(staff(roles.TELLER, branch("EXP2")))
    assert other.get(reverse("experience:receipt", kwargs={"pk": entry.pk})).status_code == 404


def test_a_whole_session_leaves_the_ledger_and_customers_untouched():
    customer_at(branch("EXP1"))
    before = _ledger_counts()
    client, _ = _start()
    _pay(client)
    client.post(TRANSFER, {"contact": "hua", "amount": "10", "idempotency_key": "t"})
    client.post(TOP_UP, {"amount": "10", "idempotency_key": "u"})
    client.get(HISTORY)
    client.post(RESET)
    after = _ledger_counts()
    after["User"] -= 1  # the teller made by _start
    assert after == before
    call_command("ledger_audit")  # exits non-zero on any breach


def test_sandbox_pages_show_no_staff_or_customer_links():
    client, _ = _start()
    for url in (HOME, PAY, TRANSFER, TOP_UP, HISTORY, reverse("experience:rewards")):
        page = client.get(url).content.decode()
        assert "/backoffice/" not in page and "/dashboard/" not in page, url
        assert 'data-testid="demo-banner"' in page


def test_pages_run_a_fixed_number_of_queries(django_assert_max_num_queries):
    client, session = _start()
    for n in range(2):
        _pay(client, amount="1", key=f"a{n}")
    for url in (HISTORY, HOME):
        with django_assert_max_num_queries(4) as small:
            assert client.get(url).status_code == 200
        budget = len(small.captured_queries)
        for n in range(20):
            _pay(client, amount="1", key=f"{url}{n}")
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200


def test_staff_home_card_counts_demos_per_teller_for_the_manager():
    home = branch("EXP1")
    manager = staff(roles.BRANCH_MANAGER, home)
    teller = staff(roles.TELLER, home)
    _start(teller)
    _start(teller)
    card = experience_card(manager)
    notes = {item.text: item.note for item in card.items}
    assert "2" in notes[teller.get_full_name()]
    page = staff_client(teller).get(reverse("backoffice:home")).content.decode()
    assert 'id="card-experience"' in page and START in page
    agent_page = staff_client(staff(roles.SUPPORT_AGENT)).get(reverse("backoffice:home"))
    assert 'id="card-experience"' not in agent_page.content.decode()
