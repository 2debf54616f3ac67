"""The durable outbox that feeds Celery, and what customers are told: the inbox and its
deliveries by email and SMS."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """Work to do after a commit, written in the same transaction as the change that causes it.

    Celery is told about it once the transaction commits; a periodic task re-dispatches what is
    still pending, so nothing is lost while Redis is down.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    topic = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    # The same event is never queued twice (e.g. one alert per transaction).
    dedupe_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.topic} {self.dedupe_key} {self.status}"


class Notification(models.Model):
    """One message to one customer, shown in the in-app inbox and sent on the chosen channels."""

    class Kind(models.TextChoices):
        TRANSACTION = "transaction", _("Transaction alerts")
        SECURITY = "security", _("Security alerts")
        BUDGET = "budget", _("Budget alerts")
        MARKETING = "marketing", _("Offers and news")
        SUPPORT = "support", _("Support tickets")

    # Security alerts are always sent: a customer cannot switch them off.
    MANDATORY_KINDS = (Kind.SECURITY,)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField()
    link = models.CharField(max_length=200, blank=True)
    dedupe_key = models.CharField(max_length=120)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"], name="notification_once_per_event"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self):
        return f"{self.user} {self.title}"


class Delivery(models.Model):
    """The delivery log: each channel a notification went out on, and how it went."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=Status.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            # Running a delivery task twice sends once.
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=Q(status="sent"),
                name="delivery_sent_once",
            ),
        ]

    def __str__(self):
        return f"{self.notification_id} {self.channel} {self.status}"


class ChannelPreference(models.Model):
    """A customer's choice of channels per kind of notification (the inbox always gets it)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="channel_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    channel = models.CharField(max_length=10, choices=Delivery.Channel.choices)
    enabled = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("channel preference")
        verbose_name_plural = _("channel preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind", "channel"], name="one_preference")
        ]

    def __str__(self):
        return f"{self.user} {self.kind} {self.channel} {self.enabled}"
