"""Bank statements of the clearing account and their reconciliation with the ledger (issue 11).

A statement is stored once (its file's SHA-256 is unique, and one per account, currency and
day), with its lines; each line is matched to at most one ledger entry on the clearing account
and each entry to at most one line. Whatever does not match opens a ReconciliationException,
which a person resolves with a reason: nothing is ever matched silently.
"""

import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AMOUNT, Entry, Transaction
from .money import CURRENCY_CHOICES


class BankStatement(models.Model):
    account_id = models.CharField(_("bank account"), max_length=64)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    date = models.DateField(_("statement date"))
    message_id = models.CharField(max_length=64)
    statement_id = models.CharField(max_length=64)
    file_sha256 = models.CharField(max_length=64, unique=True)
    document = models.BinaryField()
    opening_balance = models.DecimalField(**AMOUNT)
    closing_balance = models.DecimalField(**AMOUNT)
    line_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    exception_count = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["account_id", "currency", "date"], name="bank_statement_one_per_day"
            ),
        ]

    def __str__(self):
        return f"{self.account_id} {self.currency} {self.date}"


class BankStatementLine(models.Model):
    class Direction(models.TextChoices):
        CREDIT = "CRDT", _("Money in")
        DEBIT = "DBIT", _("Money out")

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment")
        RETURN = "return", _("Returned payment")
        FEE = "fee", _("Bank fee")

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    direction = models.CharField(max_length=4, choices=Direction.choices)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    booking_date = models.DateField()
    value_date = models.DateField()
    account_servicer_ref = models.CharField(max_length=64)
    end_to_end_id = models.CharField(max_length=64, blank=True, db_index=True)
    bank_code = models.CharField(max_length=20, blank=True)
    return_reason = models.CharField(max_length=8, blank=True)
    info = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="bank_statement_line_position"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="bank_line_amount_positive"),
        ]
        # What the bank said is evidence: never changed or removed once imported.
        triggers = [
            pgtrigger.Protect(
                name="bank_statement_line_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        return f"{self.statement_id}#{self.position} {self.direction} {self.amount}"

    @property
    def ledger_amount(self):
        """What the clearing account's entry must be: money in at the bank is a debit of the
        clearing account in the ledger (a top-up posts clearing -x, wallet +x)."""
        return -self.amount if self.direction == self.Direction.CREDIT else self.amount


class ReconciliationMatch(models.Model):
    """A ledger entry on the clearing account found on the bank's statement (`line`), or netted
    out by its own reversal before the bank ever moved money (`line` empty)."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="matches")
    line = models.OneToOneField(
        BankStatementLine, null=True, blank=True, on_delete=models.PROTECT, related_name="match"
    )
    entry = models.OneToOneField(
        Entry, on_delete=models.PROTECT, related_name="reconciliation_match"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reconciliation match")
        verbose_name_plural = _("reconciliation matches")
        triggers = [
            pgtrigger.Protect(
                name="reconciliation_match_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            ),
        ]

    def __str__(self):
        return f"line {self.line_id} = entry {self.entry_id}"


class ReconciliationException(models.Model):
    class Kind(models.TextChoices):
        MISSING_AT_BANK = "missing_at_bank", _("Missing at the bank")
        MISSING_IN_LEDGER = "missing_in_ledger", _("Missing in the ledger")
        AMOUNT_DIFFERS = "amount_differs", _("Amount differs")
        DUPLICATE = "duplicate", _("Duplicate line")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        RESOLVED = "resolved", _("Resolved")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    statement = models.ForeignKey(
        BankStatement, on_delete=models.PROTECT, related_name="exceptions"
    )
    line = models.OneToOneField(
        BankStatementLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exception",
    )
    entry = models.OneToOneField(
        Entry,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reconciliation_exception",
    )
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    # The difference the ledger would need to agree with the bank, on the clearing account.
    amount = models.DecimalField(**AMOUNT)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_reason = models.CharField(_("reason"), max_length=255, blank=True)
    adjustment = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reconciliation_exception",
    )

    class Meta:
        verbose_name = _("reconciliation exception")
        verbose_name_plural = _("reconciliation exceptions")
        ordering = ["opened_at", "pk"]
        indexes = [models.Index(fields=["state", "opened_at"], name="recon_exception_queue")]
        constraints = [
            models.CheckConstraint(
                condition=Q(line__isnull=False) | Q(entry__isnull=False),
                name="recon_exception_about_something",
            ),
            models.CheckConstraint(
                condition=Q(state="open")
                | (Q(resolved_at__isnull=False) & ~Q(resolution_reason="")),
                name="recon_exception_resolved_with_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.reference} {self.amount}"
