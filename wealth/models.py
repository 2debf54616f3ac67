"""The money-market fund: products, declared yields, suitability, holdings, orders, accruals.

Money never lives here: each holding is its own ledger account (kind `fund_holding`) and every
movement is a wallet ledger transaction. These rows say what the movements were for.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallet.models import AMOUNT, LedgerAccount, Transaction
from wallet.money import CURRENCY_CHOICES


class RiskLevel(models.IntegerChoices):
    R1 = 1, _("R1 · Conservative")
    R2 = 2, _("R2 · Moderately conservative")
    R3 = 3, _("R3 · Balanced")
    R4 = 4, _("R4 · Moderately aggressive")
    R5 = 5, _("R5 · Aggressive")


class FundProduct(models.Model):
    """A money-market fund sold in the wallet; one unit is worth 1.00 of its currency."""

    code = models.CharField(_("product code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=120)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default="CNY"
    )
    risk_level = models.PositiveSmallIntegerField(
        _("risk level"), choices=RiskLevel.choices, default=RiskLevel.R1
    )
    minimum_amount = models.DecimalField(_("minimum subscription"), default=1, **AMOUNT)
    instant_quota_per_day = models.DecimalField(
        _("instant redemption quota per customer per day"),
        default=10000,
        help_text=_("Above this, a redemption is settled on the next business day."),
        **AMOUNT,
    )
    is_active = models.BooleanField(_("on sale"), default=True)
    income_account = models.OneToOneField(
        LedgerAccount,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    settlement_account = models.OneToOneField(
        LedgerAccount,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("fund product")
        verbose_name_plural = _("fund products")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_amount__gt=0), name="fund_product_minimum_positive"
            ),
            models.CheckConstraint(
                condition=Q(instant_quota_per_day__gte=0), name="fund_product_quota_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    def display_name(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        language = language or get_language() or ""
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class YieldDeclaration(models.Model):
    """The fund's yield for one day, declared by the fund manager (entered in the admin)."""

    product = models.ForeignKey(FundProduct, on_delete=models.PROTECT, related_name="yields")
    date = models.DateField(_("date"))
    per_10k = models.DecimalField(
        _("yield per 10,000 units"),
        max_digits=12,
        decimal_places=4,
        help_text=_("What 10,000 units earned that day, e.g. 0.5432."),
    )
    annualised_7d = models.DecimalField(
        _("7-day annualised rate (%)"),
        max_digits=8,
        decimal_places=4,
        help_text=_("e.g. 1.9850 for 1.985 %."),
    )
    accrued_at = models.DateTimeField(null=True, blank=True, editable=False)
    holdings_paid = models.PositiveIntegerField(default=0, editable=False)
    total_paid = models.DecimalField(default=0, editable=False, **AMOUNT)

    class Meta:
        verbose_name = _("declared yield")
        verbose_name_plural = _("declared yields")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["product", "date"], name="yield_one_per_product_day"),
            models.CheckConstraint(condition=Q(per_10k__gte=0), name="yield_not_negative"),
        ]

    def __str__(self):
        return f"{self.product} {self.date}"


class SuitabilityAssessment(models.Model):
    """A customer's answers to the risk questionnaire and the tolerance they give; valid a year."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="suitability"
    )
    answers = models.JSONField(default=dict)
    score = models.PositiveSmallIntegerField()
    risk_tolerance = models.PositiveSmallIntegerField(choices=RiskLevel.choices)
    assessed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("suitability assessment")
        verbose_name_plural = _("suitability assessments")
        ordering = ["-assessed_at", "-pk"]
        indexes = [models.Index(fields=["user", "-assessed_at"])]

    def __str__(self):
        return f"{self.user} R{self.risk_tolerance}"


class Holding(models.Model):
    """A customer's units of one fund: the balance is the ledger account's."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fund_holdings"
    )
    product = models.ForeignKey(FundProduct, on_delete=models.PROTECT, related_name="holdings")
    account = models.OneToOneField(LedgerAccount, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("holding")
        verbose_name_plural = _("holdings")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "product"], name="holding_one_per_product"),
        ]

    def __str__(self):
        return f"{self.user} · {self.product}"


class FundOrder(models.Model):
    """A subscription or a redemption, as the customer asked for it."""

    class Kind(models.TextChoices):
        SUBSCRIBE = "subscribe", _("Subscription")
        REDEEM = "redeem", _("Redemption")

    class Mode(models.TextChoices):
        INSTANT = "instant", _("Instant")
        STANDARD = "standard", _("Next business day")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        PENDING = "pending", _("Pending")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fund_orders"
    )
    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="orders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    mode = models.CharField(max_length=10, choices=Mode.choices, default=Mode.INSTANT)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(max_length=10, choices=Status.choices)
    settle_on = models.DateField(null=True, blank=True)
    transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    settlement_transaction = models.ForeignKey(
        Transaction, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    idempotency_key = models.CharField(max_length=100)
    request_fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("fund order")
        verbose_name_plural = _("fund orders")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "idempotency_key"], name="fund_order_unique_idempotency_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_order_amount_positive"),
        ]
        indexes = [
            models.Index(fields=["status", "settle_on"], name="fund_order_due"),
            models.Index(fields=["holding", "kind", "mode", "created_at"]),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class YieldAccrual(models.Model):
    """One holding's yield for one day, paid once (the unique constraint is the last guard)."""

    holding = models.ForeignKey(Holding, on_delete=models.PROTECT, related_name="accruals")
    date = models.DateField()
    principal = models.DecimalField(**AMOUNT)
    amount = models.DecimalField(**AMOUNT)
    transaction = models.OneToOneField(Transaction, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("yield accrual")
        verbose_name_plural = _("yield accruals")
        constraints = [
            models.UniqueConstraint(fields=["holding", "date"], name="yield_accrual_once_per_day"),
        ]
        indexes = [models.Index(fields=["date"], name="yield_accrual_date")]

    def __str__(self):
        return f"{self.holding_id} {self.date} {self.amount}"
