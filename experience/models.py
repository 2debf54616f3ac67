"""The sandbox of experience mode (体验区): demo money that never touches the real ledger.

A session is one demo on one branch device, started by a teller or branch manager; its entries
are the sandbox payments, transfers and top-ups. These tables are apart from the wallet ledger
on purpose: no Wallet, LedgerAccount, Transaction or Entry row and no customer User is ever
created for a demo. Sessions are deleted once expired (a periodic task); who started how many
demos stays in the append-only audit trail (backoffice.AuditEvent, action experience_start).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

AMOUNT = {"max_digits": 20, "decimal_places": 4}


class ExperienceSession(models.Model):
    # The device's signed cookie carries this random token, never the primary key.
    token = models.CharField(max_length=64, unique=True)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    branch = models.ForeignKey(
        "backoffice.Branch",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("branch"),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    starting_balance = models.DecimalField(_("starting balance"), **AMOUNT)
    balance = models.DecimalField(_("balance"), **AMOUNT)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    expires_at = models.DateTimeField(_("ends at"), db_index=True)
    resets = models.PositiveIntegerField(_("resets"), default=0)

    class Meta:
        verbose_name = _("experience session")
        verbose_name_plural = _("experience sessions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance__gte=0), name="experience_balance_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.branch_id} {self.staff_id} {self.started_at:%Y-%m-%d %H:%M}"

    def is_expired(self, now=None) -> bool:
        return self.expires_at <= (now or timezone.now())


class ExperienceEntry(models.Model):
    class Kind(models.TextChoices):
        PAYMENT = "payment", _("Payment to a shop")
        TRANSFER = "transfer", _("Transfer")
        TOP_UP = "top_up", _("Top-up")

    session = models.ForeignKey(ExperienceSession, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    # A sample merchant's or contact's code (experience/catalog.py); empty for a top-up.
    counterparty = models.CharField(_("to"), max_length=32, blank=True)
    # Positive: the signed change of the balance is -amount for payments and transfers.
    amount = models.DecimalField(_("amount"), **AMOUNT)
    balance_after = models.DecimalField(_("balance after"), **AMOUNT)
    note = models.CharField(_("note"), max_length=100, blank=True)
    idempotency_key = models.CharField(max_length=100)
    reference = models.CharField(_("receipt number"), max_length=20)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("experience entry")
        verbose_name_plural = _("experience entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "idempotency_key"], name="experience_entry_once_per_key"
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="experience_amount_gt_0"),
        ]

    def __str__(self):
        return f"{self.reference} {self.kind} {self.amount}"

    @property
    def is_credit(self) -> bool:
        return self.kind == self.Kind.TOP_UP
