"""SLAs in the pages: due times and the SLA filter in the agent queue (fixed query counts), the
clocks on a ticket's page, the customer's expected answer (page and API), the attainment page
(lead, agent, CSV, bad input), and the audit trail of every agent action on a ticket."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice import roles
from backoffice.models import AuditEvent
from support import sla, tickets
from support.models_tickets import Ticket, TicketAttachment
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff, staff_client

from .factories import ticket

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
QUEUE = reverse("backoffice:support_queue")
SLA_PAGE = reverse("backoffice:support_sla")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def _en(client):
    """Pages in English: the Chinese of the new texts joins the catalog at merge."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _page(reference):
    return reverse("backoffice:support_ticket", args=[reference])


def _history(agent, n=1):
    """n tickets whose first response was met and n whose first response breached."""
    made = []
    for _ in range(n):
        with time_machine.travel(at(2026, 11, 30, 9, 0), tick=False) as traveller:
            met, late = ticket(category="account"), ticket(category="account")
            tickets.ticket_assign(ticket=late, assignee=agent, actor=agent)
            traveller.move_to(at(2026, 11, 30, 10, 0))
            tickets.ticket_reply_by_agent(ticket=met, agent=agent, body="您好")
            traveller.move_to(at(2026, 11, 30, 14, 0))
            sla.sla_check()
        made += [met, late]
    return made


def test_the_queue_shows_due_times_and_filters_by_sla():
    agent = staff(roles.SUPPORT_AGENT)
    met, late = _history(agent)
    with time_machine.travel(at(2026, 11, 30, 14, 0), tick=False):
        # (staff sessions end after 15 idle minutes: log in at the moment travelled to)
        client = _en(staff_client(agent))
        soon = ticket(category="fraud")  # urgent: due in 30 minutes
        later = ticket(category="suggestion")
        page = client.get(QUEUE).content.decode()
        assert "30" in page and "SLA" in page
        by_filter = {
            status: client.get(QUEUE, {"sla": status}).content.decode()
            for status in ("due_soon", "breached", "met")
        }
    assert soon.reference in by_filter["due_soon"] and later.reference not in by_filter["due_soon"]
    assert late.reference in by_filter["breached"] and met.reference not in by_filter["breached"]
    assert met.reference not in by_filter["met"]  # its resolution clock still runs
    assert "SLA breached" in by_filter["breached"]
    # A wrong value is ignored like other filters: the whole queue, no error.
    assert client.get(QUEUE, {"sla": "<b>"}).status_code == 200


def test_the_queue_with_the_sla_filter_runs_a_fixed_number_of_queries(
    django_assert_max_num_queries, settings
):
    settings.SUPPORT_TICKETS_PER_MINUTE = 1000
    agent = staff(roles.SUPPORT_AGENT)
    _history(agent)
    with time_machine.travel(at(2026, 11, 30, 14, 0), tick=False):
        client = staff_client(agent)
        client.get(QUEUE, {"sla": "breached"})
        with django_assert_max_num_queries(40) as small:
            assert client.get(QUEUE, {"sla": "breached"}).status_code == 200
    _history(agent, n=6)
    with time_machine.travel(at(2026, 11, 30, 14, 0), tick=False):
        client = staff_client(agent)
        with django_assert_max_num_queries(len(small.captured_queries)):
            assert client.get(QUEUE, {"sla": "breached"}).status_code == 200


def test_the_ticket_page_shows_its_clocks():
    agent = staff(roles.SUPPORT_AGENT)
    _met, late = _history(agent)
    page = _en(staff_client(agent)).get(_page(late.reference)).content.decode()
    assert "First response" in page and "Breached" in page and "Service level" in page


def test_the_customer_sees_when_to_expect_an_answer(client):
    customer = UserFactory()
    with time_machine.travel(at(2026, 11, 27, 17, 30), tick=False):
        t = ticket(customer, category="payment")  # high: 120 business minutes
        client.force_login(customer)
        _en(client)
        page = client.get(reverse("support:ticket", args=[t.reference])).content.decode()
        api = APIClient()
        api.force_authenticate(customer)
        body = api.get(f"/api/v1/tickets/{t.reference}/").json()
    assert "2026-11-30 10:30" in page and "Expect an answer" in page
    assert body["answer_expected_by"].startswith("2026-11-30T10:30:00")


def test_the_lead_sees_every_agent_and_the_team_with_a_csv():
    lead = staff(roles.SUPPORT_LEAD)
    first, second = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_AGENT)
    _history(first)
    _history(second)
    query = {"start": "2026-11-01", "end": "2026-11-30"}
    page = staff_client(lead).get(SLA_PAGE, query).content.decode()
    assert first.full_name in page and second.full_name in page
    # Each agent met one first response (the reply assigned them) and breached one.
    assert "50.0%" in page
    csv_body = staff_client(lead).get(SLA_PAGE, {**query, "download": "csv"})
    assert csv_body["Content-Type"].startswith("text/csv")
    text = csv_body.content.decode("utf-8-sig")
    assert first.full_name in text and "50.0" in text
    # An agent sees their own numbers only.
    mine = staff_client(first).get(SLA_PAGE, query).content.decode()
    assert first.full_name in mine and second.full_name not in mine


def test_the_attainment_page_refuses_bad_periods_and_other_people():
    lead = staff(roles.SUPPORT_LEAD)
    bad = _en(staff_client(lead)).get(SLA_PAGE, {"start": "2026-12-01", "end": "2026-11-01"})
    assert bad.status_code == 400 and "The end is before the start." in bad.content.decode()
    garbage = staff_client(lead).get(SLA_PAGE, {"start": "x", "end": ""})
    assert garbage.status_code == 400
    assert staff_client(staff(roles.TELLER)).get(SLA_PAGE).status_code == 403


def test_every_agent_action_on_a_ticket_is_audited():
    agent, colleague = staff(roles.SUPPORT_AGENT), staff(roles.SUPPORT_AGENT)
    client = staff_client(agent)
    customer = UserFactory()
    t = ticket(customer)
    ref = t.reference
    client.post(reverse("backoffice:support_ticket_assign", args=[ref]), {"take": "1"})
    client.post(reverse("backoffice:support_ticket_assign", args=[ref]), {"assignee": colleague.pk})
    client.post(reverse("backoffice:support_ticket_reply", args=[ref]), {"body": "您好"})
    client.post(
        reverse("backoffice:support_ticket_reply", args=[ref]),
        {
            "body": "备注",
            "internal": "on",
            "files": [SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")],
        },
    )
    client.post(reverse("backoffice:support_ticket_escalate", args=[ref]), {"reason": "复杂"})
    client.post(reverse("backoffice:support_ticket_state", args=[ref]), {"state": "resolved"})
    attachment = TicketAttachment.objects.get()
    client.get(reverse("backoffice:support_attachment", args=[attachment.pk]))
    events = AuditEvent.objects.filter(actor=agent, customer=customer).exclude(
        action=AuditEvent.Action.CUSTOMER_VIEW
    )
    assert [e.action for e in events.order_by("pk")] == [
        "ticket_assign",
        "ticket_assign",
        "ticket_reply",
        "ticket_note",
        "ticket_escalate",
        "ticket_state",
        "ticket_attachment",
    ]
    assert all(e.detail["ticket"] == ref and e.outcome == "ok" for e in events)
    assert events.filter(action="ticket_state").get().detail["to_state"] == "resolved"
    # A refused action is recorded as refused, and changes nothing.
    client.post(reverse("backoffice:support_ticket_state", args=[ref]), {"state": "waiting"})
    refused = AuditEvent.objects.filter(action="ticket_state", outcome="refused").get()
    assert refused.detail["to_state"] == "waiting"
    t.refresh_from_db()
    assert t.state == Ticket.State.RESOLVED
