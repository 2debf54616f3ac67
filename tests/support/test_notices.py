"""Notices (风险提示): published by a risk officer or campaign admin, a dismissible banner on
customer pages and a message in every customer's inbox, added in batches by customer id."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from backoffice import roles
from backoffice.services import role_groups_ensure
from config.api_errors import ApplicationError
from notifications.models import Notification, OutboxMessage
from support import notices
from support.models_kb import Notice
from tests.accounts.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk_officer():
    role_groups_ensure()
    from django.contrib.auth.models import Group

    officer = StaffFactory()
    officer.groups.add(Group.objects.get(name=roles.RISK_OFFICER))
    return officer


def _notice(**extra):
    return Notice.objects.create(
        title_zh_hans="警惕冒充客服诈骗",
        title_en="Beware of fake support calls",
        body_zh_hans="银行不会索要验证码。",
        body_en="The bank never asks for codes.",
        **extra,
    )


def test_publishing_reaches_every_customer_in_batches_by_id(
    risk_officer, settings, django_capture_on_commit_callbacks
):
    settings.NOTICE_FANOUT_BATCH_SIZE = 3
    customers = [UserFactory() for _ in range(10)]
    notice = _notice()
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_publish(notice=notice, acting_user=risk_officer)
    inbox = Notification.objects.filter(dedupe_key=f"notice:{notice.pk}")
    assert sorted(inbox.values_list("user_id", flat=True)) == sorted(c.pk for c in customers)
    assert not inbox.filter(user=risk_officer).exists()  # staff are not customers
    batches = OutboxMessage.objects.filter(topic=notices.FANOUT_TOPIC).order_by("pk")
    # 10 customers in batches of 3: 3+3+3+1, each batch starting above the last id done
    assert [b.payload["after_id"] for b in batches] == [
        0,
        customers[2].pk,
        customers[5].pk,
        customers[8].pk,
    ]
    assert all(b.status == OutboxMessage.Status.DONE for b in batches)
    notice.refresh_from_db()
    assert notice.fanout_finished_at is not None and notice.fanout_after_id == customers[-1].pk
    assert inbox.first().title == "警惕冒充客服诈骗"
    assert inbox.first().link == reverse("kb:notice", args=[notice.pk])


def test_a_batch_run_again_adds_nothing_twice(risk_officer, settings):
    settings.NOTICE_FANOUT_BATCH_SIZE = 5
    UserFactory.create_batch(3)
    notice = _notice(status=Notice.Status.PUBLISHED, published_at=timezone.now())
    assert notices.notice_fanout_batch(notice_id=notice.pk, after_id=0) == 3
    notices.notice_fanout_batch(notice_id=notice.pk, after_id=0)
    assert Notification.objects.filter(dedupe_key=f"notice:{notice.pk}").count() == 3


def test_a_batch_reads_no_more_than_its_size(settings):
    settings.NOTICE_FANOUT_BATCH_SIZE = 2
    UserFactory.create_batch(7)
    notice = _notice(status=Notice.Status.PUBLISHED, published_at=timezone.now())
    assert notices.notice_fanout_batch(notice_id=notice.pk, after_id=0) == 2


def test_only_risk_officers_and_campaign_admins_publish():
    role_groups_ensure()
    notice = _notice()
    with pytest.raises(ApplicationError):
        notices.notice_publish(notice=notice, acting_user=StaffFactory())
    notice.refresh_from_db()
    assert notice.status == Notice.Status.DRAFT
    assert OutboxMessage.objects.count() == 0


def test_the_banner_shows_on_customer_pages_until_dismissed(risk_officer):
    notice = _notice()
    notices.notice_publish(notice=notice, acting_user=risk_officer)
    customer = UserFactory()
    client = Client()
    client.force_login(customer)
    assert "警惕冒充客服诈骗" in client.get(reverse("dashboard")).content.decode()
    response = client.post(
        reverse("kb:notice_dismiss", args=[notice.pk]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("kb:home")  # never off-site
    assert 'data-testid="notice-banner"' not in client.get(reverse("dashboard")).content.decode()
    # a visitor dismisses for their session
    visitor = Client()
    assert 'data-testid="notice-banner"' in visitor.get(reverse("kb:home")).content.decode()
    visitor.post(reverse("kb:notice_dismiss", args=[notice.pk]), {"next": "/help/"})
    assert 'data-testid="notice-banner"' not in visitor.get(reverse("kb:home")).content.decode()


def test_drafts_and_expired_notices_are_not_shown(client):
    _notice()
    _notice(
        status=Notice.Status.PUBLISHED,
        published_at=timezone.now(),
        expires_at=timezone.now() - timezone.timedelta(minutes=1),
    )
    assert 'data-testid="notice-banner"' not in client.get(reverse("kb:home")).content.decode()
    assert client.get("/api/v1/announcements/").json()["results"] == []


def test_announcements_api_lists_notices_in_force(client, risk_officer):
    notice = _notice()
    notices.notice_publish(notice=notice, acting_user=risk_officer)
    data = client.get("/api/v1/announcements/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert [n["id"] for n in data["results"]] == [notice.pk]
    assert client.get(reverse("kb:notice", args=[notice.pk])).status_code == 200
