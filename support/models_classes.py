"""Classes (培训课程) the bank runs online or at a branch, and who registered and attended.

A class's seats are held by counting its active registrations under a lock on the class row
(support/classes.py): no seat counter to drift. One registration row per customer and class;
cancelling keeps the row (cancelled), registering again reuses it.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["ClassRegistration", "TrainingClass"]


class TrainingClass(models.Model):
    class Mode(models.TextChoices):
        ONLINE = "online", _("Online")
        BRANCH = "branch", _("At a branch")

    class Language(models.TextChoices):
        CHINESE = "zh-hans", _("Chinese")
        ENGLISH = "en", _("English")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    mode = models.CharField(_("where"), max_length=10, choices=Mode.choices, default=Mode.BRANCH)
    join_url = models.URLField(
        _("join link"), blank=True, help_text=_("For an online class: the video meeting link.")
    )
    branch = models.ForeignKey(
        "backoffice.Branch",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="classes",
        verbose_name=_("branch"),
    )
    address = models.CharField(
        _("address"),
        max_length=255,
        blank=True,
        help_text=_("Where in the branch (room, floor); the branch's address if left empty."),
    )
    language = models.CharField(
        _("language"), max_length=10, choices=Language.choices, default=Language.CHINESE
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("capacity"))
    published = models.BooleanField(_("published"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("class")
        verbose_name_plural = _("classes")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="support_class_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__gte=1), name="support_class_capacity_positive"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(mode="online", branch__isnull=True)
                    | models.Q(mode="branch", branch__isnull=False)
                ),
                name="support_class_branch_iff_in_person",
            ),
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%Y-%m-%d %H:%M})"

    def clean(self):
        """The admin's form errors for what the constraints above would refuse."""
        from django.core.exceptions import ValidationError

        errors = {}
        if self.mode == self.Mode.BRANCH and not self.branch_id:
            errors["branch"] = _("Choose the branch of a class held at a branch.")
        if self.mode == self.Mode.ONLINE:
            if self.branch_id:
                errors["branch"] = _("An online class has no branch.")
            if not self.join_url:
                errors["join_url"] = _("An online class needs its join link.")
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("A class ends after it starts.")
        if errors:
            raise ValidationError(errors)

    @property
    def place(self) -> str:
        if self.mode == self.Mode.ONLINE:
            return str(_("Online"))
        parts = [self.branch.name if self.branch else "", self.address or self.branch.address]
        return " · ".join(p for p in parts if p)


class ClassRegistration(models.Model):
    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        CANCELLED = "cancelled", _("Cancelled")

    training_class = models.ForeignKey(
        TrainingClass,
        on_delete=models.PROTECT,
        related_name="registrations",
        verbose_name=_("class"),
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="class_registrations",
        verbose_name=_("customer"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    # The language the customer registered in: their reminder is written in it (empty: the
    # default language, for registrations made before it was recorded).
    language = models.CharField(
        _("language"), max_length=10, choices=settings.LANGUAGES, blank=True, default=""
    )
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("attendance marked by"),
    )
    attendance_marked_at = models.DateTimeField(_("attendance marked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("class registration")
        verbose_name_plural = _("class registrations")
        ordering = ["registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["training_class", "customer"], name="support_one_registration_per_class"
            )
        ]

    def __str__(self):
        return f"{self.customer_id} → {self.training_class_id} ({self.status})"
