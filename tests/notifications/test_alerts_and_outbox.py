"""Every movement on a wallet is told to its owner, once, through the outbox, after commit."""

from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.urls import reverse
from rest_framework.test import APIClient

from config.api_errors import ApplicationError
from notifications import services
from notifications.models import ChannelPreference, Delivery, Notification, OutboxMessage
from tests.wallet.factories import MerchantFactory, WalletFactory, funded_wallet
from wallet import services as wallet_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    sender = funded_wallet("100.00", user__full_name="张小三")
    recipient = WalletFactory(user__full_name="李小四")
    return sender, recipient


def _transfer(sender, recipient, amount="12.50", key="t1"):
    return wallet_services.transfer_create(
        sender_user=sender.user,
        to=recipient.handle,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    )


def _row(result):
    return OutboxMessage.objects.get(dedupe_key=f"txn-alert:{result.transaction.pk}")


def _transfer_alerts(result):
    return Notification.objects.filter(dedupe_key__startswith=f"txn:{result.transaction.pk}:")


def test_a_transfer_alerts_both_sides_with_amount_counterparty_and_balance(
    pair, django_capture_on_commit_callbacks
):
    sender, recipient = pair
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _transfer(sender, recipient)
    out = Notification.objects.get(user=sender.user, dedupe_key__startswith="txn:")
    assert "12.50 CNY" in out.title
    assert "李*四" in out.body and "87.50 CNY" in out.body
    incoming = Notification.objects.get(user=recipient.user, dedupe_key__startswith="txn:")
    assert "张*三" in incoming.body and "12.50 CNY" in incoming.body
    assert sorted(m.to[0] for m in mail.outbox) == sorted([sender.user.email, recipient.user.email])
    assert (
        OutboxMessage.objects.filter(status="done", topic="wallet.transaction_alert").count() == 1
    )


def test_nothing_is_queued_before_commit_nor_for_a_refused_transfer(
    pair, django_capture_on_commit_callbacks
):
    sender, recipient = pair
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = _transfer(sender, recipient)
    # The row is written with the transfer, but nobody is told until the commit.
    assert _row(result).status == "pending"
    assert not _transfer_alerts(result).exists()
    assert callbacks

    rows = OutboxMessage.objects.count()
    with pytest.raises(ApplicationError):
        _transfer(sender, recipient, amount="1000.00", key="too-much")
    assert OutboxMessage.objects.count() == rows


def test_processing_twice_sends_once(pair, django_capture_on_commit_callbacks):
    sender, recipient = pair
    with django_capture_on_commit_callbacks(execute=False):
        result = _transfer(sender, recipient)
    message = _row(result)
    mail.outbox.clear()
    assert services.outbox_process(message_id=message.pk) is True
    assert services.outbox_process(message_id=message.pk) is False
    assert len(mail.outbox) == 2
    assert (
        Delivery.objects.filter(notification__in=_transfer_alerts(result), status="sent").count()
        == 2
    )


def test_a_broker_outage_leaves_the_row_for_the_periodic_redispatch(
    pair, django_capture_on_commit_callbacks, settings
):
    sender, recipient = pair
    settings.OUTBOX_REDISPATCH_AFTER_SECONDS = 0
    with (
        mock.patch(
            "notifications.tasks.process_outbox_message.delay",
            side_effect=ConnectionError("redis down"),
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = _transfer(sender, recipient)
    assert result.transaction.pk  # the money moved regardless
    assert _row(result).status == "pending"
    assert not _transfer_alerts(result).exists()

    assert services.outbox_redispatch_pending() >= 1  # broker back (eager here)
    assert _row(result).status == "done"
    assert _transfer_alerts(result).count() == 2


def test_a_failing_handler_keeps_the_row_pending_with_the_error(
    pair, django_capture_on_commit_callbacks
):
    sender, recipient = pair
    with django_capture_on_commit_callbacks(execute=False):
        result = _transfer(sender, recipient)
    message = _row(result)
    with (
        mock.patch("notifications.services.send_mail", side_effect=OSError("smtp down")),
        pytest.raises(OSError),
    ):
        services.outbox_process(message_id=message.pk)
    message.refresh_from_db()
    assert (
        message.status == "pending" and message.attempts == 1 and "smtp down" in message.last_error
    )
    assert services.outbox_process(message_id=message.pk) is True


def test_channel_preferences_and_mandatory_security_alerts(user):
    user.phone = "+8613800138000"
    user.save()
    ChannelPreference.objects.create(user=user, kind="transaction", channel="email", enabled=False)
    ChannelPreference.objects.create(user=user, kind="security", channel="email", enabled=False)
    assert services.channels_for(user, "transaction") == set()
    assert services.channels_for(user, "security") == {"email", "sms"}  # cannot be switched off
    assert services.channels_for(user, "marketing") == set()


def test_budget_alert_reaches_the_inbox(django_capture_on_commit_callbacks):
    wallet = funded_wallet("500.00")
    cafe = MerchantFactory(category="food")
    wallet_services.budget_set(user=wallet.user, category="food", amount="100")
    with django_capture_on_commit_callbacks(execute=True):
        wallet_services.payment_create(
            payer_user=wallet.user,
            merchant_code=cafe.code,
            amount="85",
            currency="CNY",
            idempotency_key="b",
        )
    assert Notification.objects.filter(user=wallet.user, kind="budget").count() == 1


def test_inbox_page_unread_badge_and_mark_read(client, pair, django_capture_on_commit_callbacks):
    sender, recipient = pair
    with django_capture_on_commit_callbacks(execute=True):
        _transfer(sender, recipient)
    client.force_login(recipient.user)
    html = client.get(reverse("dashboard")).content.decode()
    assert 'class="badge"' in html
    inbox = client.get(reverse("notifications:inbox")).content.decode()
    assert "12.50 CNY" in inbox
    client.post(reverse("notifications:read_all"))
    assert 'class="badge"' not in client.get(reverse("dashboard")).content.decode()


def test_notifications_api(pair, django_capture_on_commit_callbacks):
    sender, recipient = pair
    with django_capture_on_commit_callbacks(execute=True):
        _transfer(sender, recipient)
    api = APIClient()
    api.force_authenticate(recipient.user)
    rows = api.get("/api/v1/notifications/").json()["results"]
    assert len(rows) == 1 and rows[0]["read"] is False  # the recipient's wallet was never funded
    marked = api.post("/api/v1/notifications/read/", {"ids": [rows[0]["id"]]}, format="json").json()
    assert marked == {"marked": 1, "unread": 0}
    # Another customer's ids are not theirs to mark.
    other = APIClient()
    other.force_authenticate(sender.user)
    assert (
        other.post("/api/v1/notifications/read/", {"ids": [rows[0]["id"]]}, format="json").json()[
            "marked"
        ]
        == 0
    )
    assert api.post("/api/v1/notifications/read/", {"ids": ["x"]}, format="json").status_code == 400
    # An id beyond any database integer is a clear error on the field, not a 500 (schemathesis).
    too_big = api.post("/api/v1/notifications/read/", {"ids": [2**70]}, format="json")
    assert too_big.status_code == 400 and "ids" in too_big.json()["errors"]


def test_balance_after_is_recorded_on_every_entry(pair):
    sender, recipient = pair
    result = _transfer(sender, recipient)
    balances = {
        e.account.wallet_id: e.balance_after
        for e in result.transaction.entries.select_related("account")
    }
    assert balances == {sender.pk: Decimal("87.50"), recipient.pk: Decimal("12.50")}


def test_the_preferences_page_switches_channels_but_not_security(client, user):
    client.force_login(user)
    page = client.get(reverse("notifications:preferences"))
    assert "transaction__email" in page.context["form"].fields
    assert "security__email" not in page.context["form"].fields
    response = client.post(reverse("notifications:preferences"), {"transaction__sms": "on"})
    assert response.status_code == 302
    assert services.channels_for(user, "transaction") == {"sms"}
    assert services.channels_for(user, "budget") == set()
    assert services.channels_for(user, "security") == {"email", "sms"}


def test_unticking_every_channel_is_saved_too(client, user):
    client.force_login(user)
    assert client.post(reverse("notifications:preferences"), {}).status_code == 302
    assert services.channels_for(user, "transaction") == set()
    assert services.channels_for(user, "budget") == set()
