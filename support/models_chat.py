"""Live chat (在线客服) and callback requests.

A chat waits for an agent, is picked up by exactly one, and ends; its transcript then becomes a
ticket (linked here). A callback is a customer's request to be phoned at a time they chose,
within service hours. Removing a staff user never removes a chat or a callback (SET_NULL).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models_tickets import REFERENCE_ALPHABET, REFERENCE_LENGTH

__all__ = ["AgentPresence", "Callback", "Chat", "ChatMessage", "new_chat_reference"]


def new_chat_reference() -> str:
    """Random, like ticket references: a reference tells nobody how many chats there are."""
    return "C" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


class AgentPresence(models.Model):
    """Whether a support agent takes chats now (they switch it on and off themselves)."""

    agent = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="chat_presence",
        verbose_name=_("agent"),
    )
    available = models.BooleanField(_("available for chats"), default=False)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("agent availability")
        verbose_name_plural = _("agent availability")

    def __str__(self):
        return f"{self.agent_id} {self.available}"


class Chat(models.Model):
    class State(models.TextChoices):
        WAITING = "waiting", pgettext_lazy("chat state", "Waiting for an agent")
        ACTIVE = "active", pgettext_lazy("chat state", "In progress")
        ENDED = "ended", pgettext_lazy("chat state", "Ended")

    reference = models.CharField(
        _("reference"), max_length=16, unique=True, default=new_chat_reference, editable=False
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_chats",
        verbose_name=_("customer"),
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="agent_chats",
        verbose_name=_("agent"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.WAITING
    )
    created_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    picked_up_at = models.DateTimeField(_("picked up at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )
    # Ended by the system after SUPPORT_CHAT_IDLE_MINUTES without a message (ended_by empty).
    ended_idle = models.BooleanField(_("ended for inactivity"), default=False)
    # The language the customer started the chat in: what the system writes to them in the chat
    # is in it (empty: the default language, for chats started before it was recorded).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    # The ticket the transcript became when the chat ended.
    ticket = models.OneToOneField(
        "support.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="chat",
        verbose_name=_("ticket"),
    )

    class Meta:
        verbose_name = _("chat")
        verbose_name_plural = _("chats")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["state", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="active") | models.Q(agent__isnull=False),
                name="support_chat_active_has_agent",
            )
        ]

    def __str__(self):
        return self.reference


class ChatMessage(models.Model):
    """One line of a chat. Its id is the poll cursor ("everything after id N")."""

    chat = models.ForeignKey(
        Chat, on_delete=models.PROTECT, related_name="messages", verbose_name=_("chat")
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
    # Written by the system, not by a person (e.g. why the chat ended); counted with the bank's.
    system = models.BooleanField(_("system message"), default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("chat message")
        verbose_name_plural = _("chat messages")
        ordering = ["pk"]

    def __str__(self):
        return f"{self.chat_id} #{self.pk}"


class Callback(models.Model):
    """A customer asks to be phoned at a time of their choosing (within service hours)."""

    class State(models.TextChoices):
        PENDING = "pending", pgettext_lazy("callback state", "Due")
        DONE = "done", pgettext_lazy("callback state", "Done")

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached, question answered")
        REACHED_TICKET = "reached_ticket", _("Reached, followed up in a ticket")
        NO_ANSWER = "no_answer", _("No answer")
        WRONG_NUMBER = "wrong_number", _("Wrong number")

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="support_callbacks",
        verbose_name=_("customer"),
    )
    phone = models.CharField(_("phone number"), max_length=20)
    scheduled_for = models.DateTimeField(_("call at"), db_index=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.PENDING
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("note"), max_length=500, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["scheduled_for", "pk"]
        indexes = [models.Index(fields=["state", "scheduled_for"])]

    def __str__(self):
        return f"{self.customer_id} {self.scheduled_for:%Y-%m-%d %H:%M}"
