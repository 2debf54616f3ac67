"""Branches and the staff who work at them."""

import os

import pgtrigger
from django.conf import settings
from django.core.files.storage import FileSystemStorage
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
        WALLET_FREEZE = "wallet_freeze", _("Wallet frozen")
        KYC_LEVEL2_GRANT = "kyc_level2_grant", _("Verified in person (level 2)")
        APPROVAL_REQUEST = "approval_request", _("Four eyes: requested")
        APPROVAL_APPROVE = "approval_approve", _("Four eyes: approved and executed")
        APPROVAL_FAIL = "approval_fail", _("Four eyes: approved but failed")
        APPROVAL_REJECT = "approval_reject", _("Four eyes: rejected")
        APPROVAL_WITHDRAW = "approval_withdraw", _("Four eyes: withdrawn")
        APPROVAL_EXPIRE = "approval_expire", _("Four eyes: expired")
        TILL_OPEN = "till_open", _("Till opened")
        TILL_CLOSE = "till_close", _("Till closed")
        CASH_IN = "cash_in", _("Cash deposit")
        CASH_OUT = "cash_out", _("Cash withdrawal")
        CASH_RECONCILE = "cash_reconcile", _("End-of-day cash reconciliation")
        ONBOARDING_STEP = "onboarding_step", _("Onboarding step")
        ONBOARDING_COMPLETED = "onboarding_completed", _("Customer onboarded")
        SETUP_LINK_ISSUED = "setup_link_issued", _("Setup link issued")
        SETUP_LINK_RESEND = "setup_link_resend", _("Setup link sent again")
        DOCUMENT_IMAGE_VIEW = "document_image_view", _("Identity document image viewed")
        REVEAL = "reveal", _("Masked field revealed")
        BREAK_GLASS = "break_glass", _("Break-glass access")
        BREAK_GLASS_REVIEW = "break_glass_review", _("Break-glass review")
        TRAINING_ATTEMPT = "training_attempt", _("Training quiz taken")
        RECONCILIATION_RESOLVE = (
            "reconciliation_resolve",
            _("Bank reconciliation exception resolved"),
        )
        CAMPAIGN_FUND = "campaign_fund", _("Campaign pool funded")
        VOUCHERS_ISSUE = "vouchers_issue", _("Vouchers issued")
        EXPERIENCE_START = "experience_start", _("Experience mode started")
        RISK_CASE_VIEW = "risk_case_view", _("Held payment reviewed")
        RISK_RELEASE = "risk_release", _("Held payment released")
        RISK_REJECT = "risk_reject", _("Held payment rejected")
        RISK_ASK = "risk_ask", _("Customer asked to confirm a held payment")
        RISK_NOTE = "risk_note", _("Note on a held payment")
        RISK_REPORT_VIEW = "risk_report_view", _("Fraud report reviewed")
        RISK_REPORT_CLOSE = "risk_report_close", _("Fraud report closed")
        TICKET_REPLY = "ticket_reply", _("Ticket: reply to the customer")
        TICKET_NOTE = "ticket_note", _("Ticket: internal note")
        TICKET_ASSIGN = "ticket_assign", _("Ticket: taken or assigned")
        TICKET_ESCALATE = "ticket_escalate", _("Ticket: escalated")
        TICKET_STATE = "ticket_state", _("Ticket: state changed")
        TICKET_ATTACHMENT_DOWNLOAD = "ticket_attachment", _("Ticket: attachment downloaded")
        CLASS_ATTENDANCE = "class_attendance", _("Class attendance marked")
        FEEDBACK_EXPORT = "feedback_export", _("Customer feedback exported")
        CHAT_AVAILABILITY = "chat_availability", _("Chat availability changed")
        CHAT_PICK_UP = "chat_pick_up", _("Chat picked up")
        CHAT_END = "chat_end", _("Chat ended")
        CALLBACK_DONE = "callback_done", _("Callback done")

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


# The columns of what an approval request asked: written once, then never changed (a trigger).
APPROVAL_IMMUTABLE_FIELDS = (
    "action",
    "customer",
    "subject",
    "reason",
    "parameters",
    "requested_by",
    "requested_at",
    "expires_at",
)


class ApprovalRequest(models.Model):
    """A staff action that needs a second staff member (four eyes, maker-checker).

    The maker asks, with a reason and the action's parameters; a checker of the right role
    (never the maker) approves it, which executes the action once, or rejects it. What was asked
    never changes after creation: on PostgreSQL a trigger refuses an UPDATE of those columns, and
    once decided a request stays decided. Nothing is ever deleted.
    """

    class Action(models.TextChoices):
        UNFREEZE_WALLET = "unfreeze_wallet", _("Unfreeze the wallet")
        RESET_SECOND_FACTOR = "reset_second_factor", _("Reset the second factor")
        REVERSE_TRANSACTION = "reverse_transaction", _("Reverse a posted transaction")
        CASH_OUT_ABOVE_LIMIT = "cash_out_above_limit", _("Cash-out above the limit")
        LIMIT_OVERRIDE = "limit_override", _("Limit override")
        RECONCILIATION_ADJUSTMENT = (
            "reconciliation_adjustment",
            _("Bank reconciliation adjustment"),
        )
        CLOSE_ACCOUNT = "close_account", _("Close the account")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        EXECUTED = "executed", _("Approved and executed")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Approved but failed")

    action = models.CharField(_("action"), max_length=40, choices=Action.choices)
    # Empty for an action about the bank's own books (a bank fee found by reconciliation).
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("customer"),
    )
    # What the request is about ("wallet:12", "transaction:345"): at most one pending request
    # per action and subject, so two colleagues cannot queue the same reversal twice.
    subject = models.CharField(_("subject"), max_length=80)
    reason = models.CharField(_("reason"), max_length=255)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=255, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        ordering = ["-requested_at", "-pk"]
        indexes = [models.Index(fields=["status", "expires_at"], name="approval_status_expiry")]
        constraints = [
            # Four eyes, down to the database: nobody decides their own request.
            models.CheckConstraint(
                condition=models.Q(decided_by__isnull=True)
                | ~models.Q(decided_by=models.F("requested_by")),
                name="approval_not_decided_by_maker",
            ),
            models.UniqueConstraint(
                fields=["action", "subject"],
                condition=models.Q(status="pending"),
                name="approval_one_pending_per_subject",
            ),
        ]
        triggers = [
            pgtrigger.Protect(
                name="approval_request_asked_is_immutable",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(*APPROVAL_IMMUTABLE_FIELDS),
            ),
            pgtrigger.Protect(
                name="approval_request_decision_is_final",
                operation=pgtrigger.Update,
                condition=pgtrigger.Q(old__status__df="pending"),
            ),
            pgtrigger.Protect(name="approval_request_never_deleted", operation=pgtrigger.Delete),
        ]

    def __str__(self):
        return f"#{self.pk} {self.action} {self.status}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())

    @property
    def effective_status(self) -> str:
        """Pending past its expiry reads as expired, whether or not the task has run yet."""
        if self.status == self.Status.PENDING and self.is_expired():
            return self.Status.EXPIRED
        return self.status

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label


AMOUNT = {"max_digits": 20, "decimal_places": 4}


class Till(models.Model):
    """One teller's cash drawer for one business day: opened with a counted float, closed with
    the counted cash; what the ledger says it should hold and the difference are kept."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="tills", verbose_name=_("branch")
    )
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="tills",
        verbose_name=_("teller"),
    )
    business_date = models.DateField(_("business date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opening_float = models.DecimalField(_("opening float"), **AMOUNT)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    counted_cash = models.DecimalField(_("counted cash"), null=True, blank=True, **AMOUNT)
    # {"100": 12, "50": 3, ...} when the teller counted by denomination.
    counted_denominations = models.JSONField(_("counted by denomination"), default=dict, blank=True)
    expected_cash = models.DecimalField(_("expected cash"), null=True, blank=True, **AMOUNT)
    difference = models.DecimalField(_("difference"), null=True, blank=True, **AMOUNT)

    class Meta:
        verbose_name = _("till")
        verbose_name_plural = _("tills")
        ordering = ["-business_date", "-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["teller", "business_date"], name="till_one_per_teller_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id} {self.teller_id} {self.business_date}"


class CashMovement(models.Model):
    """A cash deposit or withdrawal at the counter: the ledger transaction, attributed to the
    till that took in or paid out the notes."""

    till = models.ForeignKey(Till, on_delete=models.PROTECT, related_name="movements")
    transaction = models.OneToOneField(
        "wallet.Transaction", on_delete=models.PROTECT, related_name="cash_movement"
    )
    # A withdrawal above the approval limit: the four-eyes approval it used, once (unique).
    approval = models.OneToOneField(
        ApprovalRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cash_movement",
        verbose_name=_("approval"),
    )
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("customer"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("cash movement")
        verbose_name_plural = _("cash movements")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"till {self.till_id}: transaction {self.transaction_id}"


class BranchReconciliation(models.Model):
    """A branch's end of day: the cash counted in all its tills against the branch cash
    account's movements of the day in the ledger."""

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="reconciliations", verbose_name=_("branch")
    )
    business_date = models.DateField(_("business date"))
    tills = models.PositiveIntegerField(_("tills"))
    opening_floats = models.DecimalField(_("opening floats"), **AMOUNT)
    ledger_net_cash = models.DecimalField(_("net cash in the ledger"), **AMOUNT)
    expected_cash = models.DecimalField(_("expected cash"), **AMOUNT)
    counted_cash = models.DecimalField(_("counted cash"), **AMOUNT)
    difference = models.DecimalField(_("difference"), **AMOUNT)
    reconciled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reconciled by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("branch cash reconciliation")
        verbose_name_plural = _("branch cash reconciliations")
        ordering = ["-business_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "business_date"], name="reconciliation_one_per_branch_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id} {self.business_date}: {self.difference}"


class PrivateStorage(FileSystemStorage):
    """Files under PRIVATE_MEDIA_ROOT (read at each use, so tests can point it elsewhere), with
    no URL: url() refuses, and only a view that checks who is asking streams them."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    @property
    def base_url(self):
        return None


def private_storage():
    """Where identity document images live: outside MEDIA_ROOT and static, with no URL."""
    return PrivateStorage()


def _document_image_path(instance, filename: str) -> str:
    # The name says nothing about the customer; the extension comes from the content check.
    import secrets

    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"onboarding/{timezone.now():%Y/%m}/{secrets.token_hex(16)}.{extension}"


class Onboarding(models.Model):
    """A customer being onboarded at the counter: the draft, kept step by step so that a
    teller can stop and resume, and after completion the record of who onboarded whom."""

    class Step(models.TextChoices):
        PHONE = "phone", _("Phone")
        IDENTITY = "identity", _("Identity")
        CONSENT = "consent", _("Consent")
        REVIEW = "review", _("Review and open")
        DONE = "done", _("Done")

    STEP_ORDER = (Step.PHONE, Step.IDENTITY, Step.CONSENT, Step.REVIEW, Step.DONE)

    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="onboardings", verbose_name=_("branch")
    )
    teller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("staff member"),
    )
    step = models.CharField(_("step"), max_length=12, choices=Step.choices, default=Step.PHONE)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    # The code the customer reads out to the teller: only a keyed hash, as for PhoneVerification.
    phone_code_hash = models.CharField(max_length=64, blank=True)
    phone_code_sent_at = models.DateTimeField(null=True, blank=True)
    phone_code_expires_at = models.DateTimeField(null=True, blank=True)
    phone_code_attempts = models.PositiveSmallIntegerField(default=0)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    email = models.EmailField(_("email address"), blank=True)
    document_type = models.CharField(_("document type"), max_length=20, blank=True)
    document_number = models.CharField(_("document number"), max_length=20, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    document_front = models.FileField(
        _("document, front"), storage=private_storage, upload_to=_document_image_path, blank=True
    )
    document_back = models.FileField(
        _("document, back"), storage=private_storage, upload_to=_document_image_path, blank=True
    )
    terms_version = models.CharField(max_length=20, blank=True)
    privacy_version = models.CharField(max_length=20, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    customer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="onboarding",
        verbose_name=_("customer"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("onboarding")
        verbose_name_plural = _("onboardings")
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["teller", "step"], name="onboarding_teller_step")]

    def __str__(self):
        return f"{self.branch_id} {self.step} {self.pk}"

    @property
    def is_done(self) -> bool:
        return self.step == self.Step.DONE

    def step_index(self) -> int:
        return self.STEP_ORDER.index(self.step)


# --- staff training and break-glass access (issue 8), kept in their own modules -----------
from .models_access import BreakGlassGrant  # noqa: E402,F401
from .models_kpi import (  # noqa: E402,F401
    KpiActiveDaily,
    KpiCampaignDaily,
    KpiCohortDaily,
    KpiRefreshState,
    KpiTransactionDaily,
)
from .models_training import (  # noqa: E402,F401
    Course,
    CourseAttempt,
    Lesson,
    QuizChoice,
    QuizQuestion,
)
