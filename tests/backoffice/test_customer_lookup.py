"""Finding and opening a customer: who may, whose customers, and the audit trail of each."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import IdentityDocument
from backoffice import roles
from backoffice.models import AuditEvent
from tests.accounts.factories import UserFactory, resident_id
from tests.wallet.factories import funded_wallet

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

SEARCH = reverse("backoffice:customer_search")


def view_url(customer):
    return reverse("backoffice:customer_view", kwargs={"pk": customer.pk})


@pytest.fixture
def world():
    home, other = branch("HOME"), branch("AWAY")
    mine = customer_at(
        home, full_name="欧阳明月", phone="+8613911112222", email="ouyang@example.com"
    )
    theirs = customer_at(other, full_name="欧阳远方", phone="+8613933334444")
    funded_wallet("300.00", user=mine)
    return {"home": home, "other": other, "mine": mine, "theirs": theirs}


def _search(client, q):
    return client.get(SEARCH, {"q": q})


def _open(client, customer, reason="counter", note=""):
    response = client.post(view_url(customer), {"reason": reason, "note": note})
    assert response.status_code == 302, response.status_code
    return client.get(view_url(customer))


# --- lookup scoping ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "at_home", "finds_mine", "finds_theirs"),
    [
        (roles.TELLER, True, True, False),
        (roles.TELLER, False, False, True),
        (roles.BRANCH_MANAGER, True, True, False),
        (roles.RISK_OFFICER, False, True, True),
    ],
)
def test_tellers_and_managers_find_only_their_branch_risk_officers_the_whole_bank(
    world, role, at_home, finds_mine, finds_theirs
):
    at = None if role == roles.RISK_OFFICER else world["home" if at_home else "other"]
    client = staff_client(staff(role, at))
    response = _search(client, "欧阳")
    assert response.status_code == 200
    text = response.content.decode()
    assert ("欧**月" in text) is finds_mine
    assert ("欧**方" in text) is finds_theirs
    assert "欧阳明月" not in text and "欧阳远方" not in text


@pytest.mark.parametrize("role", [roles.SUPPORT_AGENT, roles.SUPPORT_LEAD, roles.CAMPAIGN_ADMIN])
def test_support_and_campaign_staff_cannot_search(world, role):
    response = _search(staff_client(staff(role)), "欧阳")
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


def test_customers_get_403_and_visitors_are_sent_to_log_in(world, client):
    client.force_login(world["theirs"])
    assert _search(client, "欧阳").status_code == 403
    response = _search(Client(), "欧阳")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_search_by_phone_email_handle_and_id_last_four(world):
    mine = world["mine"]
    IdentityDocument.objects.create(
        user=mine, document_type="resident_id", number=resident_id(), full_name=mine.full_name
    )
    client = staff_client(staff(roles.TELLER, world["home"]))
    for query in (
        "13911112222",
        "ouyang@example.com",
        mine.wallet.handle,
        mine.identity_document.number[-4:],
    ):
        text = _search(client, query).content.decode()
        results = text.split('<ul class="cards">', 1)[1]  # not the search box echoing the query
        assert "欧**月" in results and "o***@example.com" in results, query
        assert mine.email not in results and mine.phone not in results
        assert mine.identity_document.number not in results


def test_each_search_writes_one_event_with_the_query_and_count_never_the_results(world):
    teller = staff(roles.TELLER, world["home"])
    client = staff_client(teller)
    _search(client, "欧阳")
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.role) == (teller, "customer_search", "teller")
    assert event.detail == {"query": "欧阳", "results": 1, "page": 1}
    assert event.customer is None
    assert event.request_id and event.ip_address == "127.0.0.1"
    assert "欧阳明月" not in str(event.detail)


def test_search_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    home = branch("HOME")
    client = staff_client(staff(roles.TELLER, home))
    for _ in range(10):
        customer_at(home, full_name="张家客户")
    with django_assert_max_num_queries(14) as small:
        assert _search(client, "张家").status_code == 200
    for _ in range(40):
        customer_at(home, full_name="张家客户")
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = _search(client, "张家")
    assert "50" in response.content.decode()


# --- the customer view ---------------------------------------------------------------------


def test_opening_asks_for_a_reason_first_then_shows_the_customer_masked(world):
    teller = staff(roles.TELLER, world["home"])
    client = staff_client(teller)
    mine = world["mine"]
    first = client.get(view_url(mine))
    assert first.status_code == 200
    assert "欧**月" not in first.content.decode()  # nothing of the customer before a reason
    assert not AuditEvent.objects.filter(action="customer_view").exists()

    refused = client.post(view_url(mine), {"reason": "ticket", "note": ""})
    assert refused.status_code == 200 and not AuditEvent.objects.exists()

    shown = _open(client, mine, reason="ticket", note="T-2026-17")
    text = shown.content.decode()
    assert shown.status_code == 200
    assert "欧**月" in text and "300.00" in text
    assert "欧阳明月" not in text and mine.phone not in text and mine.email not in text
    event = AuditEvent.objects.get(action="customer_view")
    assert (event.actor, event.customer, event.outcome) == (teller, mine, "ok")
    assert event.reason == "ticket: T-2026-17"
    assert "工单: T-2026-17" in text  # the reason as chosen, in the page's language (zh-hans)


def test_every_view_is_audited_and_the_reason_holds_for_15_minutes(world):
    client = staff_client(staff(roles.TELLER, world["home"]))
    mine = world["mine"]
    _open(client, mine)
    assert client.get(view_url(mine)).status_code == 200  # no new reason asked
    assert AuditEvent.objects.filter(action="customer_view", customer=mine).count() == 2
    session = client.session
    reasons = session["backoffice_view_reasons"]
    reasons[str(mine.pk)] = [reasons[str(mine.pk)][0], 0]  # the 15 minutes have passed
    session["backoffice_view_reasons"] = reasons
    session.save()
    again = client.get(view_url(mine))
    assert "欧**月" not in again.content.decode()
    assert AuditEvent.objects.filter(action="customer_view", customer=mine).count() == 2


@pytest.mark.parametrize(
    ("role", "at_home", "sees_mine", "sees_theirs"),
    [
        (roles.TELLER, True, 200, 404),
        (roles.TELLER, False, 404, 200),
        (roles.BRANCH_MANAGER, True, 200, 404),
        (roles.RISK_OFFICER, False, 200, 200),
        (roles.SUPPORT_AGENT, False, 404, 404),
        (roles.CAMPAIGN_ADMIN, False, 404, 404),
    ],
)
def test_view_scoping_matrix(world, role, at_home, sees_mine, sees_theirs):
    at = world["home" if at_home else "other"] if role in roles.BRANCH_SCOPED_ROLES else None
    client = staff_client(staff(role, at))
    for customer, expected in ((world["mine"], sees_mine), (world["theirs"], sees_theirs)):
        assert client.get(view_url(customer)).status_code == expected
        assert client.post(view_url(customer), {"reason": "counter"}).status_code == (
            302 if expected == 200 else 404
        )


def test_another_branchs_customer_is_404_like_a_missing_one_and_audited_as_refused(world):
    teller = staff(roles.TELLER, world["home"])
    client = staff_client(teller)
    theirs = world["theirs"]
    assert client.get(view_url(theirs)).status_code == 404
    assert (
        client.get(reverse("backoffice:customer_view", kwargs={"pk": 2_000_000})).status_code == 404
    )
    refused = AuditEvent.objects.filter(outcome="refused").order_by("pk")
    assert [(e.actor, e.customer) for e in refused] == [(teller, theirs), (teller, None)]
    assert refused[1].detail == {"pk": 2_000_000}


def test_customers_and_visitors_never_reach_the_view(world, client):
    client.force_login(world["mine"])
    assert client.get(view_url(world["mine"])).status_code == 403
    assert Client().get(view_url(world["mine"])).status_code == 302
    assert not AuditEvent.objects.exists()


def test_staff_accounts_are_not_customers_to_open(world):
    client = staff_client(staff(roles.RISK_OFFICER))
    colleague = staff(roles.TELLER, world["home"])
    assert client.get(view_url(colleague)).status_code == 404


def test_the_customer_view_runs_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    from tests.wallet.factories import WalletFactory
    from wallet import services as wallet_services

    client = staff_client(staff(roles.TELLER, world["home"]))
    mine = world["mine"]
    _open(client, mine)
    with django_assert_max_num_queries(40) as few:
        client.get(view_url(mine))
    payee = WalletFactory()
    for i in range(10):
        wallet_services.transfer_create(
            sender_user=mine,
            to=payee.handle,
            amount="1.00",
            currency="CNY",
            idempotency_key=f"q-{i}",
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(view_url(mine))


def test_visitor_without_staff_flag_customer_cannot_use_post(world):
    client = Client()
    client.force_login(UserFactory())
    assert client.post(view_url(world["mine"]), {"reason": "counter"}).status_code == 403


def test_the_customer_view_shows_the_customers_rewards(world):
    from promotions.models import RewardGrant
    from tests.promotions.factories import funded_campaign, voucher_for

    mine = world["mine"]
    campaign = funded_campaign(name="开卡礼")
    RewardGrant.objects.create(campaign=campaign, user=mine, amount="8.88")
    voucher_for(mine)
    client = staff_client(staff(roles.TELLER, world["home"]))
    page = _open(client, mine).content.decode()
    assert 'data-testid="customer-rewards"' in page
    assert "开卡礼" in page and "8.88" in page
    assert "1" in page.split('data-testid="customer-rewards-summary"')[1].split("</p>")[0]
