"""Support agents in the staff portal: the queue and its filters, taking and assigning, replies,
internal notes (never seen by the customer), canned replies, escalation; fixed query counts;
and the tickets section of the customer view."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice import roles
from backoffice.models import AuditEvent
from notifications.models import Notification
from support.models_tickets import CannedReply, Ticket
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import branch, customer_at, staff, staff_client

from .factories import ticket

pytestmark = pytest.mark.django_db
QUEUE = reverse("backoffice:support_queue")
NOTE = "内部备注：客户疑似重复投诉"


def _page(reference):
    return reverse("backoffice:support_ticket", args=[reference])


def test_an_agent_takes_replies_and_the_customer_sees_the_reply(
    django_capture_on_commit_callbacks,
):
    agent = staff(roles.SUPPORT_AGENT)
    client = staff_client(agent)
    customer = UserFactory(full_name="王小明")
    t = ticket(customer)
    queue = client.get(QUEUE).content.decode()
    assert t.reference in queue and "王*明" in queue and "王小明" not in queue
    client.post(reverse("backoffice:support_ticket_assign", args=[t.reference]), {"take": "1"})
    t.refresh_from_db()
    assert t.assignee == agent and t.state == Ticket.State.IN_PROGRESS
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("backoffice:support_ticket_reply", args=[t.reference]),
            {"body": "您好，已收到。", "then": "waiting"},
        )
    assert response.status_code == 302
    t.refresh_from_db()
    assert t.state == Ticket.State.WAITING
    assert Notification.objects.filter(user=customer, kind="support").count() == 1
    # Opening the ticket is a view of the customer's data: in the audit trail, with the ticket.
    client.get(_page(t.reference))
    assert AuditEvent.objects.filter(
        actor=agent, customer=customer, action="customer_view", detail__ticket=t.reference
    ).exists()


def test_internal_notes_never_reach_the_customer(client, django_capture_on_commit_callbacks):
    agent, colleague = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_AGENT)
    customer = UserFactory()
    t = ticket(customer)
    staff_client(agent).post(
        reverse("backoffice:support_ticket_assign", args=[t.reference]), {"take": "1"}
    )
    with django_capture_on_commit_callbacks(execute=True):
        staff_client(colleague).post(
            reverse("backoffice:support_ticket_reply", args=[t.reference]),
            {"body": NOTE, "internal": "on"},
        )
    assert NOTE in staff_client(agent).get(_page(t.reference)).content.decode()
    # Not on the customer's page, nor in the API, nor in a notification to them.
    client.force_login(customer)
    assert NOTE not in client.get(reverse("support:ticket", args=[t.reference])).content.decode()
    api = APIClient()
    api.force_authenticate(customer)
    assert NOTE not in api.get(f"/api/v1/tickets/{t.reference}/").content.decode()
    assert NOTE not in api.get(f"/api/v1/tickets/{t.reference}/messages/").content.decode()
    assert not Notification.objects.filter(user=customer).exists()
    # The assignee is told a note was added, without its words.
    to_agent = Notification.objects.get(user=agent)
    assert NOTE not in to_agent.title + to_agent.body


def test_a_canned_reply_fills_an_empty_message():
    agent = staff(roles.SUPPORT_AGENT)
    canned = CannedReply.objects.create(title="问候", body="感谢您的耐心等待。")
    t = ticket()
    staff_client(agent).post(
        reverse("backoffice:support_ticket_reply", args=[t.reference]), {"canned": canned.pk}
    )
    assert t.messages.filter(from_staff=True, body="感谢您的耐心等待。").exists()


def test_escalation_tells_the_support_leads(django_capture_on_commit_callbacks):
    agent, lead = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_LEAD)
    t = ticket(category="complaint")
    with django_capture_on_commit_callbacks(execute=True):
        staff_client(agent).post(
            reverse("backoffice:support_ticket_escalate", args=[t.reference]),
            {"reason": "客户要求主管处理"},
        )
    t.refresh_from_db()
    assert t.escalated_at and t.priority == Ticket.Priority.URGENT
    assert Notification.objects.filter(user=lead, title__contains=t.subject).exists()
    escalated = staff_client(lead).get(QUEUE, {"escalated": "on"}).content.decode()
    assert t.reference in escalated


def test_an_illegal_state_change_is_refused_with_a_clear_message():
    agent = staff(roles.SUPPORT_AGENT)
    t = ticket()
    response = staff_client(agent).post(
        reverse("backoffice:support_ticket_state", args=[t.reference]),
        {"state": "closed"},
        follow=True,
    )
    t.refresh_from_db()
    assert t.state == Ticket.State.OPEN
    text = response.content.decode()
    assert "状态为待处理的工单不能变为已关闭。" in text


def test_queue_filters():
    agent, other_agent = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_AGENT)
    fraud = ticket(category="fraud", subject="被骗了")
    suggestion = ticket(category="suggestion", subject="建议增加夜间模式")
    mine = ticket(category="card", subject="绑卡")
    theirs = ticket(category="card", subject="别人的")
    client = staff_client(agent)
    client.post(reverse("backoffice:support_ticket_assign", args=[mine.reference]), {"take": "1"})
    staff_client(other_agent).post(
        reverse("backoffice:support_ticket_assign", args=[theirs.reference]), {"take": "1"}
    )

    def refs(**query):
        page = client.get(QUEUE, query).content.decode()
        return {t.reference for t in (fraud, suggestion, mine, theirs) if t.reference in page}

    assert refs(category="fraud") == {fraud.reference}
    assert refs(priority=1) == {suggestion.reference}
    assert refs(assignee="me") == {mine.reference}
    assert refs(assignee=str(other_agent.pk)) == {theirs.reference}
    assert refs(assignee="none") == {fraud.reference, suggestion.reference}
    assert refs(state="in_progress") == {mine.reference, theirs.reference}
    assert client.get(QUEUE, {"priority": "abc"}).status_code == 200


@pytest.mark.parametrize(
    "role", [roles.TELLER, roles.BRANCH_MANAGER, roles.CAMPAIGN_ADMIN, roles.RISK_OFFICER]
)
def test_other_staff_do_not_work_the_queue(role):
    t = ticket(category="complaint")
    client = staff_client(staff(role, branch("SUP")))
    assert client.get(QUEUE).status_code == 403
    assert client.get(_page(t.reference)).status_code == 404
    response = client.post(
        reverse("backoffice:support_ticket_reply", args=[t.reference]), {"body": "x"}
    )
    assert response.status_code == 403
    assert t.messages.count() == 1


def test_customers_are_refused_the_agent_pages(client):
    customer = UserFactory()
    t = ticket(customer)
    client.force_login(customer)
    assert client.get(QUEUE).status_code in (302, 403)
    assert client.get(_page(t.reference)).status_code in (302, 403)


def _many_tickets(n, agent):
    for i in range(n):
        t = ticket(subject=f"问题 {i}")
        from support import tickets

        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="回复")
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="备注", internal=True)


def test_the_queue_and_a_ticket_page_run_a_fixed_number_of_queries(
    django_assert_max_num_queries, settings
):
    settings.SUPPORT_TICKETS_PER_MINUTE = 1000
    agent = staff(roles.SUPPORT_AGENT)
    client = staff_client(agent)
    _many_tickets(2, agent)
    client.get(QUEUE)
    with django_assert_max_num_queries(40) as small:
        assert client.get(QUEUE).status_code == 200
    _many_tickets(8, agent)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(QUEUE).status_code == 200

    from support import tickets

    t = Ticket.objects.first()
    with django_assert_max_num_queries(40) as small_page:
        assert client.get(_page(t.reference)).status_code == 200
    for i in range(10):
        tickets.ticket_reply_by_agent(ticket=t, agent=staff(roles.SUPPORT_AGENT), body=f"r{i}")
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body=f"n{i}", internal=True)
    with django_assert_max_num_queries(len(small_page.captured_queries)):
        assert client.get(_page(t.reference)).status_code == 200


def test_the_customer_view_lists_the_customers_tickets():
    home = branch("TK1")
    customer = customer_at(home)
    t = ticket(customer, subject="账户被锁")
    manager = staff(roles.BRANCH_MANAGER, home)
    client = staff_client(manager)
    url = reverse("backoffice:customer_view", args=[customer.pk])
    client.post(url, {"reason": "counter"})
    page = client.get(url).content.decode()
    assert t.reference in page and "账户被锁" in page


def test_seed_demo_makes_tickets_in_every_state_and_is_idempotent():
    from django.core.management import call_command

    call_command("seed_demo", quiet=True)
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == set(Ticket.State.values)
    count = Ticket.objects.count()
    call_command("seed_demo", quiet=True)
    assert Ticket.objects.count() == count
    assert CannedReply.objects.count() == 3
