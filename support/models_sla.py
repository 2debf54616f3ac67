"""Service levels of support tickets: the bank's business-hours calendar (working hours per
weekday, public holidays and make-up working days, 调休), the SLA policy of each category and
priority, and the clocks each ticket runs against it (support/sla.py starts, pauses and stops
them). All editable in the admin except the clocks, which are the ticket's history.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models_tickets import Ticket

__all__ = ["CalendarDay", "SlaClock", "SlaPolicy", "WorkingHours"]


class WorkingHours(models.Model):
    """The hours the support team works on a weekday (bank time). A weekday without a row is a
    day off."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices, unique=True)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")),
                name="support_working_hours_close_after_open",
            )
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def clean(self):
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})


class CalendarDay(models.Model):
    """A date that is not what its weekday says: a public holiday, or a make-up working day
    (调休, a weekend day worked in exchange for a longer holiday)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WORKDAY = "workday", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=60, blank=True)
    # A make-up day's hours; empty means the hours of a normal Monday.
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()

    def clean(self):
        if (self.opens is None) != (self.closes is None):
            raise ValidationError(
                {"closes": _("Give both an opening and a closing time, or none.")}
            )
        if self.opens and self.closes and self.closes <= self.opens:
            raise ValidationError({"closes": _("Closing time must be after opening time.")})
        if self.kind == self.Kind.HOLIDAY and self.opens:
            raise ValidationError({"opens": _("A holiday has no working hours.")})


class SlaPolicy(models.Model):
    """The targets of a category and priority, in business minutes."""

    category = models.CharField(_("category"), max_length=20, choices=Ticket.Category.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Ticket.Priority.choices)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    next_response_minutes = models.PositiveIntegerField(_("next response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["category", "-priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "priority"], name="support_sla_policy_once"
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0)
                & models.Q(next_response_minutes__gt=0)
                & models.Q(resolution_minutes__gt=0),
                name="support_sla_targets_positive",
            ),
        ]

    def __str__(self):
        return f"{self.category} / {self.priority}"

    def target_for(self, kind: str) -> int:
        return {
            SlaClock.Kind.FIRST_RESPONSE: self.first_response_minutes,
            SlaClock.Kind.NEXT_RESPONSE: self.next_response_minutes,
            SlaClock.Kind.RESOLUTION: self.resolution_minutes,
        }[kind]


class SlaClock(models.Model):
    """One clock of a ticket: started, maybe paused while the ticket waits on the customer,
    stopped by what it measures. `met` is decided when it stops or breaches; `agent` is whom it
    counts for (the assignee at that moment)."""

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        RESOLUTION = "resolution", _("Resolution")

    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, related_name="sla_clocks", verbose_name=_("ticket")
    )
    kind = models.CharField(_("clock"), max_length=20, choices=Kind.choices)
    target_minutes = models.PositiveIntegerField(_("target (business minutes)"))
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    # Business minutes still left when paused (0 when it was already late).
    remaining_minutes = models.IntegerField(_("minutes left when paused"), null=True, blank=True)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)
    met = models.BooleanField(_("met"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, db_index=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agent"),
    )

    class Meta:
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["stopped_at", "due_at"])]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"

    @property
    def running(self) -> bool:
        return self.stopped_at is None and self.paused_at is None
