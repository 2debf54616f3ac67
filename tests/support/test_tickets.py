"""A customer's tickets: opening one (also from a payment), the thread, the states and who may
change them, notifications, rate limits, and what another customer gets (404)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice.roles import RISK_OFFICER, SUPPORT_AGENT
from notifications.models import Notification
from support import tickets
from support.models_tickets import Ticket, TicketMessage
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff
from tests.wallet.factories import funded_wallet
from wallet import services as wallet_services
from wallet.models import Wallet

from .factories import resolved_ticket, ticket

pytestmark = pytest.mark.django_db
NEW = reverse("support:ticket_new")


def _transfer(wallet, amount: str):
    """A movement on the customer's wallet (a top-up from the bank, here)."""
    return wallet_services.wallet_fund_from_clearing(
        wallet=wallet, amount=Decimal(amount), currency="CNY", description="test"
    )


def test_a_customer_opens_a_ticket_from_the_help_page(client, django_capture_on_commit_callbacks):
    customer = UserFactory()
    client.force_login(customer)
    # Every page links to the help page, whose "Still stuck?" part opens a ticket.
    assert reverse("kb:home") in client.get(reverse("dashboard")).content.decode()
    help_page = client.get(reverse("kb:home")).content.decode()
    assert reverse("support:ticket_new") in help_page
    assert reverse("support:tickets") in help_page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            NEW,
            {"category": "account", "subject": "无法登录", "message": "收不到验证码"},
        )
    created = Ticket.objects.get(customer=customer)
    assert response.status_code == 302
    assert response["Location"] == reverse("support:ticket", args=[created.reference])
    assert created.state == Ticket.State.OPEN
    assert created.priority == Ticket.Priority.NORMAL
    page = client.get(response["Location"]).content.decode()
    assert "收不到验证码" in page and created.reference in page
    # The customer opened it themselves: no notification to them, nobody assigned yet.
    assert not Notification.objects.filter(user=customer).exists()


def test_references_are_random_not_sequential():
    customer = UserFactory()
    refs = [ticket(customer).reference for _ in range(3)]
    assert len(set(refs)) == 3
    assert all(len(r) == 11 and r.startswith("T") for r in refs)


@pytest.mark.parametrize(
    "category,priority",
    [
        ("fraud", Ticket.Priority.URGENT),
        ("payment", Ticket.Priority.HIGH),
        ("card", Ticket.Priority.NORMAL),
        ("complaint", Ticket.Priority.NORMAL),
        ("suggestion", Ticket.Priority.LOW),
    ],
)
def test_priority_comes_from_the_category(category, priority):
    assert ticket(category=category).priority == priority


def test_report_a_problem_with_this_payment_opens_a_ticket_pointing_at_it(client):
    wallet = funded_wallet("9000.00")
    small = _transfer(wallet, "10.00")
    large = _transfer(wallet, "6000.00")
    client.force_login(wallet.user)
    detail = client.get(reverse("wallet:transaction", args=[small.pk])).content.decode()
    link = f"{NEW}?transaction={small.pk}"
    assert link.replace("?", "?") in detail.replace("&amp;", "&")
    form = client.get(link).content.decode()
    assert f'value="{small.pk}"' in form
    client.post(
        NEW, {"category": "payment", "subject": "s", "message": "m", "transaction": small.pk}
    )
    client.post(
        NEW, {"category": "payment", "subject": "s", "message": "m", "transaction": large.pk}
    )
    by_txn = {t.transaction_id: t for t in Ticket.objects.filter(customer=wallet.user)}
    assert by_txn[small.pk].priority == Ticket.Priority.HIGH
    # A large payment raises the priority one step.
    assert by_txn[large.pk].priority == Ticket.Priority.URGENT


def test_a_transaction_of_someone_else_cannot_be_attached(client):
    owner = funded_wallet("100.00")
    txn = _transfer(owner, "5.00")
    intruder = UserFactory()
    client.force_login(intruder)
    assert f'value="{txn.pk}"' not in client.get(f"{NEW}?transaction={txn.pk}").content.decode()
    response = client.post(
        NEW, {"category": "payment", "subject": "s", "message": "m", "transaction": txn.pk}
    )
    assert response.status_code == 200
    assert "您的钱包中没有这笔交易。" in response.content.decode()
    assert not Ticket.objects.exists()


def test_markup_in_a_message_is_shown_as_text(client):
    customer = UserFactory()
    t = ticket(customer, subject="<b>bold</b>", message="<script>alert(1)</script>")
    client.force_login(customer)
    page = client.get(reverse("support:ticket", args=[t.reference])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>bold</b>" not in page


def test_another_customer_gets_404_on_every_ticket_page_and_endpoint(client):
    t = ticket(message="我的私密问题")
    other = UserFactory()
    client.force_login(other)
    for name in ("support:ticket",):
        assert client.get(reverse(name, args=[t.reference])).status_code == 404
    assert (
        client.post(reverse("support:ticket", args=[t.reference]), {"body": "x"}).status_code == 404
    )
    assert (
        client.post(
            reverse("support:ticket_state", args=[t.reference]), {"state": "closed"}
        ).status_code
        == 404
    )
    assert t.reference not in client.get(reverse("support:tickets")).content.decode()
    api = APIClient()
    api.force_authenticate(other)
    for path in (f"/api/v1/tickets/{t.reference}/", f"/api/v1/tickets/{t.reference}/messages/"):
        assert api.get(path).status_code == 404
    assert (
        api.post(
            f"/api/v1/tickets/{t.reference}/messages/", {"body": "x"}, format="json"
        ).status_code
        == 404
    )
    assert (
        api.post(
            f"/api/v1/tickets/{t.reference}/state/", {"state": "closed"}, format="json"
        ).status_code
        == 404
    )
    assert api.get("/api/v1/tickets/").json()["count"] == 0
    assert TicketMessage.objects.filter(ticket=t).count() == 1
    t.refresh_from_db()
    assert t.state == Ticket.State.OPEN


def test_the_life_of_a_ticket_and_the_one_table_of_transitions(django_capture_on_commit_callbacks):
    customer = UserFactory()
    agent = staff(SUPPORT_AGENT)
    with django_capture_on_commit_callbacks(execute=True):
        t = ticket(customer)
        tickets.ticket_assign(ticket=t, assignee=agent, actor=agent)
    t.refresh_from_db()
    assert (t.state, t.assignee) == (Ticket.State.IN_PROGRESS, agent)
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="请提供截图", then="waiting")
    t.refresh_from_db()
    assert t.state == Ticket.State.WAITING
    assert Notification.objects.filter(user=customer, kind="support").count() == 1
    # The customer answers: back to the bank, and the assignee hears of it.
    with django_capture_on_commit_callbacks(execute=True):
        tickets.ticket_reply_by_customer(ticket=t, customer=customer, body="截图如下")
    t.refresh_from_db()
    assert t.state == Ticket.State.IN_PROGRESS
    assert Notification.objects.filter(user=agent, kind="support").exists()
    # The customer cannot resolve their own ticket; an illegal change says what is refused.
    with pytest.raises(tickets.ApplicationError) as refused:
        tickets.ticket_transition(ticket=t, to_state="resolved", actor=customer, as_customer=True)
    assert str(refused.value.detail) == "状态为处理中的工单不能变为已解决。"
    with pytest.raises(tickets.ApplicationError):
        tickets.ticket_transition(ticket=t, to_state="closed", actor=agent, as_customer=False)
    tickets.ticket_transition(ticket=t, to_state="resolved", actor=agent, as_customer=False)
    tickets.ticket_transition(ticket=t, to_state="closed", actor=customer, as_customer=True)
    t.refresh_from_db()
    assert t.state == Ticket.State.CLOSED and t.closed_at
    with pytest.raises(tickets.ApplicationError) as closed:
        tickets.ticket_reply_by_customer(ticket=t, customer=customer, body="还有问题")
    assert closed.value.detail.code == "ticket_not_open"
    assert list(t.events.exclude(to_state="").values_list("to_state", flat=True)) == [
        "open",
        "in_progress",
        "waiting",
        "in_progress",
        "resolved",
        "closed",
    ]


def test_reopen_within_7_days_of_resolution_and_refused_after(client):
    agent = staff(SUPPORT_AGENT)
    customer = UserFactory()
    recent = resolved_ticket(agent, customer, days_ago=6.9)
    old = resolved_ticket(agent, customer, days_ago=7.1)
    client.force_login(customer)
    page = client.get(reverse("support:ticket", args=[recent.reference])).content.decode()
    assert "重新打开工单" in page
    client.post(reverse("support:ticket_state", args=[recent.reference]), {"state": "open"})
    recent.refresh_from_db()
    assert recent.state == Ticket.State.OPEN
    response = client.post(
        reverse("support:ticket_state", args=[old.reference]), {"state": "open"}, follow=True
    )
    old.refresh_from_db()
    assert old.state == Ticket.State.RESOLVED
    text = response.content.decode()
    assert "工单在解决后 7 天内可以重新打开" in text


def test_tickets_are_rate_limited_per_customer(settings):
    settings.SUPPORT_TICKETS_PER_MINUTE = 2
    customer, neighbour = UserFactory(), UserFactory()
    ticket(customer)
    ticket(customer)
    with pytest.raises(tickets.ApplicationError) as refused:
        ticket(customer)
    assert refused.value.status_code == 429
    assert Ticket.objects.filter(customer=customer).count() == 2
    ticket(neighbour)  # another customer is not held back
    api = APIClient()
    api.force_authenticate(customer)
    response = api.post(
        "/api/v1/tickets/",
        {"category": "payment", "subject": "s", "message": "m"},
        format="json",
    )
    assert response.status_code == 429 and response.json()["code"] == "rate_limited"


def test_suspected_fraud_alerts_risk_officers_and_can_freeze_the_wallet(
    client, django_capture_on_commit_callbacks
):
    officer = staff(RISK_OFFICER)
    wallet = funded_wallet("50.00")
    client.force_login(wallet.user)
    form = client.get(f"{NEW}?category=fraud").content.decode()
    assert 'name="freeze_wallet"' in form
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            NEW,
            {
                "category": "fraud",
                "subject": "有人冒充银行",
                "message": "对方让我转账",
                "freeze_wallet": "on",
            },
        )
    t = Ticket.objects.get(customer=wallet.user)
    wallet.refresh_from_db()
    assert wallet.status == Wallet.Status.FROZEN
    assert t.priority == Ticket.Priority.URGENT
    alert = Notification.objects.get(user=officer)
    assert alert.kind == Notification.Kind.SECURITY and t.subject in alert.title
    # The officer can read it in the staff portal.
    from tests.backoffice.factories import staff_client

    assert staff_client(officer).get(alert.link).status_code == 200


def test_freezing_is_only_offered_with_suspected_fraud():
    wallet = funded_wallet("50.00")
    with pytest.raises(tickets.ApplicationError) as refused:
        ticket(wallet.user, category="complaint", freeze_wallet=True)
    assert "freeze_wallet" in refused.value.fields
    wallet.refresh_from_db()
    assert wallet.status == Wallet.Status.ACTIVE and not Ticket.objects.exists()


def test_the_api_opens_lists_and_answers_tickets():
    customer = UserFactory()
    api = APIClient()
    api.force_authenticate(customer)
    created = api.post(
        "/api/v1/tickets/",
        {"category": "card", "subject": "绑卡失败", "message": "一直提示错误"},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert body["state"] == "open" and body["messages"][0]["body"] == "一直提示错误"
    ref = body["id"]
    assert api.get("/api/v1/tickets/").json()["results"][0]["id"] == ref
    reply = api.post(f"/api/v1/tickets/{ref}/messages/", {"body": "补充"}, format="json")
    assert reply.status_code == 201
    assert len(api.get(f"/api/v1/tickets/{ref}/messages/").json()) == 2
    bad = api.post(
        "/api/v1/tickets/", {"category": "nope", "subject": "", "message": 3}, format="json"
    )
    assert bad.status_code == 400 and set(bad.json()["errors"]) >= {
        "category",
        "subject",
        "message",
    }
    state = api.post(f"/api/v1/tickets/{ref}/state/", {"state": "closed"}, format="json")
    assert state.status_code == 400 and state.json()["code"] == "transition_refused"


def test_removing_a_staff_user_keeps_their_tickets():
    agent = staff(SUPPORT_AGENT)
    t = ticket()
    tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="好的")
    agent.delete()
    t.refresh_from_db()
    assert t.assignee is None
    assert t.messages.filter(from_staff=True, author__isnull=True).count() == 1
