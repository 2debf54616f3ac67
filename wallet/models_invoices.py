"""E-invoices (电子发票) for merchant payments, and the invoice titles customers keep.

An invoice is never edited once issued: a mistaken one is cancelled by a red-letter invoice
(红字发票) that points at it with negative amounts. One live (not cancelled) blue invoice per
payment is kept by a partial unique index, so two requests at once make one invoice.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .money import CURRENCY_CHOICES

AMOUNT = {"max_digits": 20, "decimal_places": 4}


class InvoiceTitle(models.Model):
    """Who an invoice is made out to (发票抬头): a person, or a company with its taxpayer ID."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoice_titles"
    )
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=100)
    taxpayer_id = models.CharField(_("taxpayer ID"), max_length=18, blank=True)
    # For special VAT invoices (增值税专用发票): optional, printed when given.
    address = models.CharField(_("registered address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    bank_name = models.CharField(_("bank"), max_length=100, blank=True)
    bank_account = models.CharField(_("bank account"), max_length=40, blank=True)
    is_default = models.BooleanField(_("default title"), default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("invoice title")
        verbose_name_plural = _("invoice titles")
        ordering = ["-is_default", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="invoice_title_one_default"
            ),
            models.CheckConstraint(
                condition=Q(kind="person") | ~Q(taxpayer_id=""),
                name="invoice_title_company_has_taxpayer_id",
            ),
        ]

    def __str__(self):
        return self.name


class Invoice(models.Model):
    class Kind(models.TextChoices):
        BLUE = "blue", _("Invoice")
        RED = "red", _("Red-letter invoice")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Being issued")
        ISSUED = "issued", _("Issued")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled by a red-letter invoice")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="invoices"
    )
    transaction = models.ForeignKey(
        "wallet.Transaction", on_delete=models.PROTECT, related_name="invoices"
    )
    merchant = models.ForeignKey("wallet.Merchant", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.BLUE)
    # A red-letter invoice points at the invoice it cancels; one per invoice.
    cancels = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="cancelled_by"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    title = models.ForeignKey(
        InvoiceTitle, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    # What is printed, copied when requested: editing or removing a title changes no invoice.
    buyer_name = models.CharField(max_length=100)
    buyer_taxpayer_id = models.CharField(max_length=18, blank=True)
    buyer_details = models.JSONField(default=dict, blank=True)
    seller_name = models.CharField(max_length=120)
    seller_taxpayer_id = models.CharField(max_length=18)
    amount = models.DecimalField(**AMOUNT)  # tax-inclusive; negative on a red-letter invoice
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    tax_rate = models.DecimalField(max_digits=6, decimal_places=4)
    tax_amount = models.DecimalField(**AMOUNT)
    number = models.CharField(max_length=20, null=True, blank=True, unique=True)
    issued_on = models.DateField(null=True, blank=True)
    # Attempts at the invoicing platform in the current round; a retry by the customer starts a
    # new round (and a new outbox row).
    attempts = models.PositiveSmallIntegerField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    failure_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("e-invoice")
        verbose_name_plural = _("e-invoices")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(kind="blue") & ~Q(status="cancelled"),
                name="invoice_one_live_per_payment",
            ),
            models.CheckConstraint(
                condition=Q(kind="blue", cancels__isnull=True)
                | Q(kind="red", cancels__isnull=False),
                name="invoice_red_cancels_another",
            ),
            models.CheckConstraint(
                condition=Q(kind="blue", amount__gt=0) | Q(kind="red", amount__lt=0),
                name="invoice_amount_sign_by_kind",
            ),
        ]

    def __str__(self):
        return self.number or f"invoice #{self.pk}"

    @property
    def net_amount(self):
        return self.amount - self.tax_amount


class SandboxInvoiceRecord(models.Model):
    """What the sandbox invoicing platform issued, by the wallet's reference: asked twice for
    the same reference, it answers with the same number (as a real platform dedupes)."""

    reference = models.CharField(max_length=40, unique=True)
    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    issued_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sandbox invoice record")
        verbose_name_plural = _("sandbox invoice records")

    def __str__(self):
        return f"{self.reference} {self.number or ''}"
