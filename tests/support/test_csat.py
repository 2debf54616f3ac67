"""CSAT: a resolved ticket's customer gets a one-time link (inbox and email) to rate our help
from 1 to 5 without logging in; one answer per ticket; used, expired and unknown links get a
clear page; another customer's question answers 404."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from backoffice.roles import SUPPORT_AGENT
from notifications.models import Notification
from support import surveys, tickets
from support.models_surveys import SurveyAnswer, SurveyInvitation
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff

from .factories import ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return staff(SUPPORT_AGENT)


def _resolve(t: Ticket, agent, capture) -> None:
    with capture(execute=True):
        tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已处理。", then="resolved")


def _link_of(customer) -> str:
    note = Notification.objects.get(user=customer, dedupe_key__startswith="survey-invitation:")
    return note.link


def test_resolving_a_ticket_sends_a_one_time_link_by_inbox_and_email(
    agent, django_capture_on_commit_callbacks
):
    customer = UserFactory()
    t = ticket(customer)
    mail.outbox.clear()
    _resolve(t, agent, django_capture_on_commit_callbacks)

    invitation = SurveyInvitation.objects.get(ticket=t)
    assert invitation.kind == "csat" and invitation.customer == customer
    assert invitation.expires_at - invitation.created_at == timedelta(days=14)
    link = _link_of(customer)
    token = re.search(r"/surveys/a/([^/]+)/", link).group(1)
    assert len(token) >= 40
    # Only the token's hash is stored.
    assert token not in invitation.token_hash and invitation.token_hash == surveys.token_hash(token)
    emails = [m for m in mail.outbox if customer.email in m.to and "/surveys/a/" in m.body]
    assert len(emails) == 1 and token in emails[0].body and t.subject in emails[0].subject


def test_the_link_works_without_logging_in_and_only_once(
    agent, client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    customer = UserFactory()
    t = ticket(customer)
    _resolve(t, agent, django_capture_on_commit_callbacks)
    link = _link_of(customer).split("?")[0]  # as in the email

    with django_assert_max_num_queries(8):
        page = client.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert t.reference in text and 'name="score"' in text and "<legend" in text

    response = client.post(link, {"score": "5", "comment": "<b>很好</b>"})
    assert response.status_code == 302 and response["Location"] == reverse("surveys:thanks")
    answer = SurveyAnswer.objects.get(invitation__ticket=t)
    assert (answer.score, answer.comment, answer.channel) == (5, "<b>很好</b>", "link")
    assert SurveyInvitation.objects.get(ticket=t).answered_at is not None

    # A second answer: a clear page, nothing changed.
    again = client.post(link, {"score": "1"})
    assert again.status_code == 200
    assert 'data-state="answered"' in again.content.decode()
    assert SurveyAnswer.objects.get(invitation__ticket=t).score == 5


def test_an_answer_from_the_inbox_link_counts_as_the_inbox_channel(
    agent, client, django_capture_on_commit_callbacks
):
    customer = UserFactory()
    t = ticket(customer)
    _resolve(t, agent, django_capture_on_commit_callbacks)
    link = _link_of(customer)
    assert link.endswith("?via=inbox")
    page = client.get(link).content.decode()
    assert 'action="' + link.replace("&", "&amp;") + '"' in page
    client.post(link, {"score": "4"})
    assert SurveyAnswer.objects.get().channel == "inbox"


@pytest.mark.parametrize("score", ["0", "6", "", "五", "4.5"])
def test_a_bad_score_names_the_field_and_stores_nothing(
    agent, client, django_capture_on_commit_callbacks, score
):
    customer = UserFactory()
    _resolve(ticket(customer), agent, django_capture_on_commit_callbacks)
    link = _link_of(customer)
    response = client.post(link, {"score": score, "comment": "x"})
    assert response.status_code == 200
    assert 'id="id_score_error"' in response.content.decode()
    assert not SurveyAnswer.objects.exists()


def test_an_expired_or_unknown_link_gets_a_clear_page_never_a_500(
    agent, client, django_capture_on_commit_callbacks
):
    customer = UserFactory()
    _resolve(ticket(customer), agent, django_capture_on_commit_callbacks)
    link = _link_of(customer)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        expired = client.get(link)
        posted = client.post(link, {"score": "5"})
    assert expired.status_code == 410 and 'data-state="expired"' in expired.content.decode()
    assert posted.status_code == 410 and not SurveyAnswer.objects.exists()
    for bad in ("nope", "x" * 200, "%00"):
        response = client.get(f"/surveys/a/{bad}/")
        assert response.status_code == 404
        assert 'data-state="unknown"' in response.content.decode()


def test_one_invitation_per_ticket_even_when_resolved_again(
    agent, django_capture_on_commit_callbacks
):
    customer = UserFactory()
    t = ticket(customer)
    _resolve(t, agent, django_capture_on_commit_callbacks)
    tickets.ticket_transition(ticket=t, to_state="open", actor=customer, as_customer=True)
    t.refresh_from_db()
    _resolve(t, agent, django_capture_on_commit_callbacks)
    assert SurveyInvitation.objects.filter(ticket=t).count() == 1


def test_the_app_lists_and_answers_my_questions_and_404s_anothers(
    agent, django_capture_on_commit_callbacks
):
    customer, other = UserFactory(), UserFactory()
    t = ticket(customer)
    _resolve(t, agent, django_capture_on_commit_callbacks)
    invitation = SurveyInvitation.objects.get(ticket=t)
    api = APIClient()
    api.force_authenticate(other)
    assert api.get(reverse("api:survey-invitations")).json()["count"] == 0
    url = reverse("api:survey-invitation-answer", args=[invitation.pk])
    assert api.post(url, {"score": 5}, format="json").status_code == 404

    api.force_authenticate(customer)
    listed = api.get(reverse("api:survey-invitations")).json()
    assert listed["count"] == 1 and listed["results"][0]["ticket"] == t.reference
    bad = api.post(url, {"score": 9}, format="json")
    assert bad.status_code == 400 and "score" in bad.json()["errors"]
    ok = api.post(url, {"score": 4, "comment": "快"}, format="json")
    assert ok.status_code == 201 and ok.json()["score"] == 4
    assert SurveyAnswer.objects.get().channel == "app"
    again = api.post(url, {"score": 5}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "survey_answered"


def test_the_inbox_page_answers_my_own_question_and_404s_anothers(
    agent, client, django_capture_on_commit_callbacks
):
    customer, other = UserFactory(), UserFactory()
    _resolve(ticket(customer), agent, django_capture_on_commit_callbacks)
    invitation = SurveyInvitation.objects.get()
    url = reverse("surveys:invitation", args=[invitation.pk])
    client.force_login(other)
    assert client.get(url).status_code == 404
    assert client.post(url, {"score": "5"}).status_code == 404
    client.force_login(customer)
    listing = client.get(reverse("surveys:list")).content.decode()
    assert url in listing
    assert client.post(url, {"score": "3"}).status_code == 302
    assert SurveyAnswer.objects.get().channel == "inbox"
