"""Risk rules, evaluations and the cases of held payments."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..models import AMOUNT, Transaction, Wallet


class RiskRule(models.Model):
    """One check run on every outgoing movement, with its thresholds and what a hit does.

    Thresholds are inclusive: a rule hits when the measured value is at or over it."""

    class Code(models.TextChoices):
        LARGE_AMOUNT = "large_amount", _("Large amount for the customer's verification level")
        VELOCITY = "velocity", _("Many payments, or a large total, in a short time")
        NEW_PAYEE = "new_payee", _("New payee with a large amount")
        NEW_DEVICE = "new_device", _("First payment after a login from a new device")
        UNUSUAL_HOUR = "unusual_hour", _("An hour unusual for this customer")
        FAILED_LOGINS = "failed_logins", _("Repeated failed logins or second-factor failures")
        MANY_REQUESTS = "many_requests", _("Payment requests paid by many different people")
        CASH_OUT = "cash_out", _("Withdrawal soon after a top-up from a newly linked card")

    class Action(models.TextChoices):
        FLAG = "flag", _("Allow and flag")
        HOLD = "hold", _("Hold for review")
        BLOCK = "block", _("Block")

    code = models.CharField(_("rule"), max_length=20, choices=Code.choices)
    name = models.CharField(_("name"), max_length=120, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    score = models.PositiveSmallIntegerField(
        _("score"), default=10, help_text=_("Added to the evaluation's score when the rule hits.")
    )
    kyc_level = models.PositiveSmallIntegerField(
        _("verification level"),
        null=True,
        blank=True,
        help_text=_("Only for customers at this level; empty for every level."),
    )
    amount_threshold = models.DecimalField(
        _("amount threshold (CNY)"),
        null=True,
        blank=True,
        help_text=_("The rule hits at or over this amount (in CNY at the mid rate)."),
        **AMOUNT,
    )
    count_threshold = models.PositiveIntegerField(
        _("count threshold"),
        null=True,
        blank=True,
        help_text=_(
            "Velocity: payments in the window, this one included. Failed logins: failures in "
            "the window. Payment requests: different payers. Unusual hour: earlier payments "
            "needed before an hour can be judged unusual."
        ),
    )
    window_minutes = models.PositiveIntegerField(
        _("window (minutes)"),
        null=True,
        blank=True,
        help_text=_("How far back the rule looks."),
    )
    lookback_days = models.PositiveIntegerField(
        _("look-back (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Unusual hour: the history judged. Cash-out: how new a linked card counts as new."
        ),
    )
    low_risk = models.BooleanField(
        _("low risk"),
        default=False,
        help_text=_(
            "A payment held only by low-risk rules is released when the customer confirms it "
            "with their second factor."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("risk rule")
        verbose_name_plural = _("risk rules")
        ordering = ["code", "kyc_level", "pk"]

    def __str__(self):
        return self.name or self.get_code_display()


class RiskEvaluation(models.Model):
    """One outgoing movement judged by the rules: what hit, the score, what was decided."""

    class Outcome(models.TextChoices):
        ALLOW = "allow", _("Allowed")
        FLAG = "flag", _("Allowed and flagged")
        HOLD = "hold", _("Held for review")
        BLOCK = "block", _("Blocked")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_evaluations"
    )
    kind = models.CharField(max_length=20)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3)
    payee = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    score = models.PositiveIntegerField(default=0)
    rules_hit = models.JSONField(default=list, blank=True)
    transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risk_evaluation",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("risk evaluation")
        verbose_name_plural = _("risk evaluations")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.kind} {self.amount} {self.currency}: {self.outcome}"


class RiskHit(models.Model):
    """One rule that hit in one evaluation: what the monitor's hit rates count."""

    evaluation = models.ForeignKey(RiskEvaluation, on_delete=models.CASCADE, related_name="hits")
    rule = models.ForeignKey(RiskRule, null=True, on_delete=models.SET_NULL, related_name="hits")
    code = models.CharField(max_length=20, choices=RiskRule.Code.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("risk rule hit")
        verbose_name_plural = _("risk rule hits")

    def __str__(self):
        return f"{self.code} in evaluation {self.evaluation_id}"


class RiskCase(models.Model):
    """A payment held for review: its money sits in the hold account until a decision."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        ASKED = "asked", _("Waiting for the customer")
        RELEASED = "released", _("Released")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATUSES = (Status.OPEN, Status.ASKED)

    evaluation = models.OneToOneField(RiskEvaluation, on_delete=models.PROTECT, related_name="case")
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="risk_cases")
    held_transaction = models.OneToOneField(
        Transaction, on_delete=models.PROTECT, related_name="risk_case"
    )
    release_transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The payee, kept to post the release: a wallet (transfer, payment request).
    payee_wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    low_risk = models.BooleanField(default=False)
    due_at = models.DateTimeField(_("due"))
    customer_confirmed_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("held payment")
        verbose_name_plural = _("held payments")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "asked"])
                | Q(decided_at__isnull=False)
                & (Q(release_transaction__isnull=False) | Q(return_transaction__isnull=False)),
                name="risk_case_decided_with_posting",
            ),
        ]

    def __str__(self):
        return f"case #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class RiskCaseNote(models.Model):
    """A note on a case: written by a risk officer, or recorded for what the customer did."""

    case = models.ForeignKey(RiskCase, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.CharField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"note on case {self.case_id}"


class FraudReport(models.Model):
    """A customer's report of suspected fraud (a support ticket of that category), as a case for
    the risk officers: the wallet records it without knowing the support app; `reference` is the
    ticket's. Closed with an outcome and a reason, never deleted."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        CONFIRMED = "confirmed", _("Fraud confirmed")
        UNFOUNDED = "unfounded", _("No fraud found")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fraud_reports"
    )
    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, null=True, blank=True, related_name="fraud_reports"
    )
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(_("reported in"), max_length=40, unique=True)
    summary = models.CharField(_("summary"), max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    due_at = models.DateTimeField(_("due"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("fraud report")
        verbose_name_plural = _("fraud reports")
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["status", "due_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False) & ~Q(decision_note=""),
                name="fraud_report_closed_with_reason",
            ),
        ]

    def __str__(self):
        return f"fraud report #{self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN
