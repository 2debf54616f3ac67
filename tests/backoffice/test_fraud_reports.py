"""Fraud reported by a customer in a support ticket reaches the risk officers' review queue as a
case, with the customer's context; it is closed with an outcome and a reason (audited, told to
the ticket as an internal note, once), or the wallet is frozen while it is looked at."""

import pytest
from django.urls import reverse

from backoffice import risk_review, roles
from backoffice.models import AuditEvent
from config.api_errors import ApplicationError
from support.models_tickets import Ticket, TicketMessage
from tests.support.factories import ticket
from tests.wallet.factories import funded_wallet
from wallet.models import Entry, FraudReport, Wallet
from wallet.risk.reports import fraud_report_open

from .factories import staff, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff(roles.RISK_OFFICER)


def _fraud_ticket(**kwargs):
    wallet = funded_wallet("300.00")
    return ticket(
        wallet.user,
        category=Ticket.Category.FRAUD,
        subject="有人冒充客服让我转账",
        message="对方自称银行客服，让我把钱转到安全账户。",
        **kwargs,
    )


def test_a_fraud_ticket_opens_a_report_in_the_review_queue(officer):
    reported = _fraud_ticket()
    report = FraudReport.objects.get(reference=reported.reference)
    assert (report.user, report.status, report.summary) == (
        reported.customer,
        FraudReport.Status.OPEN,
        "有人冒充客服让我转账",
    )
    assert report.wallet == Wallet.objects.get(user=reported.customer)
    page = staff_client(officer).get(reverse("backoffice:risk_queue")).content.decode()
    assert f'href="{reverse("backoffice:risk_report", args=[report.pk])}"' in page
    assert reported.reference in page


def test_other_categories_open_no_report():
    ticket(funded_wallet("10.00").user, category=Ticket.Category.PAYMENT)
    assert not FraudReport.objects.exists()


def test_the_report_page_shows_context_in_fixed_queries_and_is_audited(
    officer, django_assert_max_num_queries
):
    report = FraudReport.objects.get(reference=_fraud_ticket().reference)
    client = staff_client(officer)
    client.get(reverse("backoffice:risk_report", args=[report.pk]))  # warm the session
    with django_assert_max_num_queries(30):
        page = client.get(reverse("backoffice:risk_report", args=[report.pk]))
    assert page.status_code == 200
    assert report.reference in page.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.RISK_REPORT_VIEW, actor=officer, customer=report.user
    ).exists()


def test_closing_needs_a_reason_tells_the_ticket_and_happens_once(officer):
    reported = _fraud_ticket()
    report = FraudReport.objects.get(reference=reported.reference)
    client = staff_client(officer)
    decide = reverse("backoffice:risk_report_decide", args=[report.pk])

    client.post(decide, {"decision": "unfounded", "note": "  "})
    report.refresh_from_db()
    assert report.status == FraudReport.Status.OPEN

    answer = client.post(decide, {"decision": "confirm", "note": "与已知诈骗号码一致，已建议冲正"})
    assert answer.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.decided_by) == (FraudReport.Status.CONFIRMED, officer)
    note = TicketMessage.objects.get(ticket=reported, internal=True, author=officer)
    assert "与已知诈骗号码一致" in note.body
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.RISK_REPORT_CLOSE, detail__report=report.pk
    ).exists()
    with pytest.raises(ApplicationError) as again:
        risk_review.report_decide(
            actor=staff(roles.RISK_OFFICER), pk=report.pk, decision="unfounded", note="再看"
        )
    assert again.value.status_code == 409


def test_freezing_from_a_report_freezes_the_wallet_and_keeps_the_report_open(officer):
    reported = _fraud_ticket()
    report = FraudReport.objects.get(reference=reported.reference)
    staff_client(officer).post(
        reverse("backoffice:risk_report_decide", args=[report.pk]),
        {"decision": "freeze", "note": "调查期间冻结"},
    )
    assert Wallet.objects.get(user=reported.customer).status == Wallet.Status.FROZEN
    report.refresh_from_db()
    assert report.is_open


@pytest.mark.parametrize("role", [roles.TELLER, roles.SUPPORT_AGENT, roles.CAMPAIGN_ADMIN])
def test_only_risk_officers_open_or_decide_reports(role):
    report = FraudReport.objects.get(reference=_fraud_ticket().reference)
    client = staff_client(staff(role))
    assert client.get(reverse("backoffice:risk_report", args=[report.pk])).status_code == 403
    decide = reverse("backoffice:risk_report_decide", args=[report.pk])
    assert client.post(decide, {"decision": "unfounded", "note": "x"}).status_code == 403
    report.refresh_from_db()
    assert report.is_open


def test_a_reported_payment_is_kept_only_if_it_is_the_reporters_own():
    mine = funded_wallet("50.00")
    other = funded_wallet("50.00")
    someone_elses = Entry.objects.filter(account__wallet=other).first()
    report = fraud_report_open(
        user=mine.user, reference="T-TEST", summary="x", transaction_id=someone_elses.transaction_id
    )
    assert report.transaction is None
