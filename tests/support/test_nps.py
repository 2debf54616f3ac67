"""NPS: a periodic task invites a random sample of the customers active in the last 30 days
(a completed transaction they initiated), never anyone invited within 90 days; they answer
0–10 with a comment, by the one-time link or from the inbox."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from support import surveys
from support.models_surveys import SurveyAnswer, SurveyInvitation
from support.tasks import nps_invite_sample
from tests.accounts.factories import StaffFactory, UserFactory
from wallet.models import Transaction

pytestmark = pytest.mark.django_db


def _active(user=None, *, days_ago=1, status=Transaction.Status.COMPLETED):
    user = user or UserFactory()
    Transaction.objects.create(
        kind=Transaction.Kind.TRANSFER,
        status=status,
        initiated_by=user,
        created_at=timezone.now() - timedelta(days=days_ago),
    )
    return user


def test_only_customers_active_in_the_last_30_days_are_invited(django_capture_on_commit_callbacks):
    active = _active(days_ago=3)
    _active(days_ago=31)  # too long ago
    _active(status=Transaction.Status.REJECTED)  # not completed
    UserFactory()  # never did anything
    _active(StaffFactory())  # staff are not surveyed
    with django_capture_on_commit_callbacks(execute=True):
        assert surveys.nps_invite_sample(size=100) == 1
    invitation = SurveyInvitation.objects.get()
    assert (invitation.kind, invitation.customer, invitation.ticket) == ("nps", active, None)
    assert invitation.token_hash  # the link was sent
    assert active.notifications.filter(dedupe_key=f"survey-invitation:{invitation.pk}").exists()


def test_the_sample_is_at_most_the_configured_size_and_random():
    customers = [_active() for _ in range(12)]
    assert surveys.nps_invite_sample(size=5) == 5
    invited = set(SurveyInvitation.objects.values_list("customer", flat=True))
    assert len(invited) == 5 and invited <= {c.pk for c in customers}
    # The next run draws among those not yet invited.
    assert surveys.nps_invite_sample(size=5) == 5
    assert surveys.nps_invite_sample(size=5) == 2
    assert SurveyInvitation.objects.values("customer").distinct().count() == 12


def test_nobody_is_invited_twice_within_90_days():
    customer = _active()
    start = timezone.now()
    assert surveys.nps_invite_sample(size=10) == 1
    later = (
        (timedelta(days=30), 0),
        (timedelta(days=90) - timedelta(minutes=1), 0),
        (timedelta(days=90, minutes=1), 1),
    )
    for after, expected in later:
        with time_machine.travel(start + after, tick=False):
            _active(customer, days_ago=0)  # still active
            assert surveys.nps_invite_sample(size=10) == expected, f"after {after}"
    assert SurveyInvitation.objects.filter(customer=customer).count() == 2


def test_the_task_uses_the_sample_size_setting_and_is_scheduled():
    for _ in range(4):
        _active()
    with override_settings(NPS_SAMPLE_SIZE=3):
        assert nps_invite_sample.apply().result == 3
    entry = settings.CELERY_BEAT_SCHEDULE["support-nps-invite"]
    assert entry["task"] == "support.nps_invite_sample"


def test_sampling_queries_grow_with_the_sample_not_with_the_customers(
    django_assert_max_num_queries,
):
    for _ in range(30):
        _active()
    # One select of sampled ids (ORDER BY random() LIMIT in the database); then per invitation
    # its insert and its outbox row (get_or_create in a savepoint).
    with django_assert_max_num_queries(2 + 6 * 3):
        assert surveys.nps_invite_sample(size=3) == 3


@pytest.mark.parametrize("score,ok", [("0", True), ("10", True), ("11", False), ("-1", False)])
def test_nps_answers_go_from_0_to_10(client, django_capture_on_commit_callbacks, score, ok):
    customer = _active()
    with django_capture_on_commit_callbacks(execute=True):
        surveys.nps_invite_sample(size=1)
    link = customer.notifications.get().link
    page = client.get(link).content.decode()
    assert 'value="0"' in page and 'value="10"' in page
    client.post(link, {"score": score, "comment": "不错"})
    assert SurveyAnswer.objects.filter(kind="nps", customer=customer).exists() == ok


def test_the_app_lists_an_nps_question_and_answers_it():
    from django.urls import reverse
    from rest_framework.test import APIClient

    customer = _active()
    surveys.nps_invite_sample(size=1)
    api = APIClient()
    api.force_authenticate(customer)
    listed = api.get(reverse("api:survey-invitations")).json()["results"]
    assert [(i["kind"], i["ticket"], i["scale_min"], i["scale_max"]) for i in listed] == [
        ("nps", None, 0, 10)
    ]
    url = reverse("api:survey-invitation-answer", args=[listed[0]["id"]])
    assert api.post(url, {"score": 0, "comment": "太慢"}, format="json").status_code == 201
    assert SurveyAnswer.objects.get(customer=customer).score == 0
