"""Satisfaction surveys: CSAT after a resolved ticket, NPS to a sample of active customers, and
surveys campaign admins build in the admin, with their answers.

A CSAT or NPS question reaches a customer as a `SurveyInvitation`: a one-time link whose random
token is stored only as its SHA-256 (the database never holds a usable link), valid for
SURVEY_LINK_TTL_DAYS, answered once (`SurveyAnswer` is one-to-one with its invitation; a ticket
has at most one CSAT invitation). An admin-built `Survey` gets one `SurveyResponse` per customer,
kept by a unique constraint.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = [
    "Survey",
    "SurveyAnswer",
    "SurveyChoice",
    "SurveyInvitation",
    "SurveyQuestion",
    "SurveyResponse",
    "SurveyResponseItem",
]


class Channel(models.TextChoices):
    """Where an answer came from (results are shown per channel)."""

    LINK = "link", _("Web page or emailed link")
    INBOX = "inbox", _("Inbox")
    APP = "app", _("App (API)")


class SurveyInvitation(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", _("Satisfaction with a ticket (CSAT)")
        NPS = "nps", _("Would you recommend us (NPS)")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="survey_invitations",
        verbose_name=_("customer"),
    )
    ticket = models.OneToOneField(
        "support.Ticket",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="csat_invitation",
        verbose_name=_("ticket"),
    )
    # sha256 hex of the link's token; empty until the link is sent (by the outbox handler).
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("invited at"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="nps", ticket__isnull=True) | Q(kind="csat", ticket__isnull=False),
                name="support_invitation_csat_has_ticket",
            )
        ]
        indexes = [models.Index(fields=["kind", "customer", "created_at"])]

    def __str__(self):
        return f"{self.kind} {self.customer_id} {self.created_at:%Y-%m-%d}"

    @property
    def scale_max(self) -> int:
        return 5 if self.kind == self.Kind.CSAT else 10

    @property
    def scale_min(self) -> int:
        return 1 if self.kind == self.Kind.CSAT else 0


class SurveyAnswer(models.Model):
    """A CSAT (1–5) or NPS (0–10) answer, once per invitation."""

    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.PROTECT, related_name="answer"
    )
    kind = models.CharField(_("kind"), max_length=4, choices=SurveyInvitation.Kind.choices)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="survey_answers",
        verbose_name=_("customer"),
    )
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="csat", score__gte=1, score__lte=5)
                | Q(kind="nps", score__gte=0, score__lte=10),
                name="support_answer_score_in_scale",
            )
        ]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self):
        return f"{self.kind} {self.score}"


class Survey(models.Model):
    """A survey built by a campaign admin; customers see it between its open and close times."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    opens_at = models.DateTimeField(_("opens at"), default=timezone.now)
    closes_at = models.DateTimeField(_("closes at"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["-opens_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")),
                name="support_survey_closes_after_it_opens",
            )
        ]

    def __str__(self):
        return self.title

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        return self.opens_at <= now < self.closes_at


class SurveyQuestion(models.Model):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating (1–5)")
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")
        TEXT = "text", _("Text")

    survey = models.ForeignKey(
        Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    text = models.CharField(_("question"), max_length=300)
    required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class SurveyChoice(models.Model):
    question = models.ForeignKey(
        SurveyQuestion, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question")
    )
    text = models.CharField(_("choice"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("survey choice")
        verbose_name_plural = _("survey choices")
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text


class SurveyResponse(models.Model):
    survey = models.ForeignKey(
        Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey")
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="survey_responses",
        verbose_name=_("customer"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    created_at = models.DateTimeField(_("answered at"), default=timezone.now)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "customer"], name="support_one_response_per_customer"
            )
        ]

    def __str__(self):
        return f"{self.survey_id} {self.customer_id}"


class SurveyResponseItem(models.Model):
    """The answer to one question: a rating, a text, or the chosen choices."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(SurveyQuestion, on_delete=models.PROTECT, related_name="items")
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    text = models.TextField(blank=True)
    choices = models.ManyToManyField(SurveyChoice, blank=True, related_name="items")

    class Meta:
        verbose_name = _("survey response item")
        verbose_name_plural = _("survey response items")
        constraints = [
            models.UniqueConstraint(
                fields=["response", "question"], name="support_one_item_per_question"
            )
        ]

    def __str__(self):
        return f"{self.response_id} {self.question_id}"
