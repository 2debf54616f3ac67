"""Support tickets: the ticket, its threaded messages and the trail of what happened to it.

Nothing here is ever deleted by removing a user: a staff member who leaves keeps their name off
the ticket (SET_NULL) while the ticket and its messages stay; a customer cannot be deleted while
they have tickets (PROTECT), as with their ledger records.
"""

import os
import secrets

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

__all__ = [
    "CannedReply",
    "Ticket",
    "TicketAttachment",
    "TicketEvent",
    "TicketMessage",
    "new_ticket_reference",
]

# No 0/O or 1/I/L: references are read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 10


def new_ticket_reference() -> str:
    """Random, not sequential: a reference tells nobody how many tickets there are."""
    return "T" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class Ticket(models.Model):
    class Category(models.TextChoices):
        PAYMENT = "payment", _("Payment problem")
        ACCOUNT = "account", _("Account and login")
        CARD = "card", _("Card or bank link")
        FRAUD = "fraud", _("Suspected fraud")
        COMPLAINT = "complaint", _("Complaint")
        SUGGESTION = "suggestion", _("Suggestion")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    class State(models.TextChoices):
        OPEN = "open", pgettext_lazy("ticket state", "Open")
        IN_PROGRESS = "in_progress", pgettext_lazy("ticket state", "In progress")
        WAITING = "waiting", pgettext_lazy("ticket state", "Waiting on customer")
        RESOLVED = "resolved", pgettext_lazy("ticket state", "Resolved")
        CLOSED = "closed", pgettext_lazy("ticket state", "Closed")

    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=new_ticket_reference, editable=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_tickets",
        verbose_name=_("customer"),
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    subject = models.CharField(_("subject"), max_length=200)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    # The payment the customer reports a problem with ("report a problem with this payment").
    transaction = models.ForeignKey(
        "wallet.Transaction",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("transaction"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        verbose_name=_("assignee"),
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Service levels (support/sla.py keeps these from the ticket's clocks): when each running
    # clock is due (empty when stopped, or paused while waiting on the customer), the earliest
    # of them, the first breach, and the one escalation a breach causes.
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    next_response_due = models.DateTimeField(_("next response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_due = models.DateTimeField(_("next SLA due"), null=True, blank=True, db_index=True)
    sla_breached_at = models.DateTimeField(_("SLA breached at"), null=True, blank=True)
    sla_escalated_at = models.DateTimeField(_("escalated for SLA at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-updated_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "priority"]),
            models.Index(fields=["customer", "updated_at"]),
        ]

    def __str__(self):
        return f"{self.reference} {self.subject}"

    @property
    def answer_expected_by(self):
        """When the customer may expect the bank's next answer (a running response clock)."""
        return min(
            (d for d in (self.first_response_due, self.next_response_due) if d), default=None
        )


class TicketMessage(models.Model):
    """One message in a ticket's thread. An internal note is for staff only: customers never see
    it, in a page, the API or a notification."""

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="messages", verbose_name=_("ticket")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    from_staff = models.BooleanField(_("from the bank"), default=False)
    internal = models.BooleanField(_("internal note"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(internal=False) | models.Q(from_staff=True),
                name="support_internal_notes_are_staff",
            )
        ]

    def __str__(self):
        return f"{self.ticket_id} #{self.pk}"


class TicketEvent(models.Model):
    """The ticket's trail: each state change, assignment and escalation, who did it and when."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("Opened")
        STATE = "state", _("State changed")
        ASSIGNED = "assigned", _("Assigned")
        ESCALATED = "escalated", _("Escalated")
        WALLET_FROZEN = "wallet_frozen", _("Wallet frozen by the customer")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="events", verbose_name=_("ticket")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"

    @property
    def to_state_label(self) -> str:
        return Ticket.State(self.to_state).label if self.to_state else ""


class CannedReply(models.Model):
    """A prepared answer agents insert into a reply (kept in the admin)."""

    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["title"]

    def __str__(self):
        return self.title


class TicketFileStorage(FileSystemStorage):
    """Attachments live under PRIVATE_MEDIA_ROOT/support (read at each use, so tests can point it
    elsewhere), outside static/ and MEDIA_ROOT, with no URL: only a view that checks who asks
    streams them, as a download."""

    @property
    def base_location(self):
        return os.path.join(str(settings.PRIVATE_MEDIA_ROOT), "support")

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def ticket_file_storage():
    return TicketFileStorage()


def _attachment_path(instance, filename: str) -> str:
    # Nothing of the customer's file name reaches the disk; the extension is the checked type's.
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


class TicketAttachment(models.Model):
    """An image or PDF sent with a message; its type was read from its content, images were
    re-encoded without their metadata."""

    message = models.ForeignKey(
        TicketMessage,
        on_delete=models.PROTECT,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(_("file"), storage=ticket_file_storage, upload_to=_attachment_path)
    name = models.CharField(_("file name"), max_length=100)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self):
        return self.name
