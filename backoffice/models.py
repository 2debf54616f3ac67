"""Branches and the staff who work at them."""

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Branch(models.Model):
    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=120)
    address = models.CharField(_("address"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="staff"
    )
    employee_number = models.CharField(_("employee number"), max_length=32, unique=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return f"{self.employee_number} {self.user}"


class CustomerBranch(models.Model):
    """The branch a customer belongs to: the one that onboarded them, or one they chose.

    A row of its own rather than a column on accounts.User: accounts sits at the bottom of the
    dependency graph and knows nothing of branches, and a customer without a branch (signed up
    online, not yet assigned) simply has no row — tellers and branch managers never find them.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customer_branch"
    )
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="customers", verbose_name=_("branch")
    )
    onboarded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,  # who onboarded a customer is kept as long as the customer
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("onboarded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer's branch")
        verbose_name_plural = _("customers' branches")

    def __str__(self):
        return f"{self.user_id} → {self.branch_id}"


class AuditEvent(models.Model):
    """One staff action or one view of a customer's personal data. Append-only: on PostgreSQL a
    trigger refuses UPDATE and DELETE, so not even a raw SQL fix can rewrite the trail."""

    class Action(models.TextChoices):
        CUSTOMER_SEARCH = "customer_search", _("Customer search")
        CUSTOMER_VIEW = "customer_view", _("Customer view")
        AUDIT_SEARCH = "audit_search", _("Audit trail search")
        AUDIT_EXPORT = "audit_export", _("Audit trail export")
        REVEAL = "reveal", _("Masked field revealed")
        BREAK_GLASS = "break_glass", _("Break-glass access")
        BREAK_GLASS_REVIEW = "break_glass_review", _("Break-glass review")
        TRAINING_ATTEMPT = "training_attempt", _("Training quiz taken")

    class Outcome(models.TextChoices):
        OK = "ok", _("Done")
        REFUSED = "refused", _("Refused")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    role = models.CharField(_("role"), max_length=40, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=Outcome.choices, default=Outcome.OK
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["actor", "created_at"], name="audit_actor_when"),
            models.Index(fields=["customer", "created_at"], name="audit_customer_when"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="audit_event_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.outcome}"


# --- staff training and break-glass access (issue 8), kept in their own modules -----------
from .models_access import BreakGlassGrant  # noqa: E402,F401
from .models_training import (  # noqa: E402,F401
    Course,
    CourseAttempt,
    Lesson,
    QuizChoice,
    QuizQuestion,
)
