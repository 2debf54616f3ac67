"""Campaigns and the reward grants they pay.

A campaign's money sits in its own pool ledger account (`campaign:<id>`, funded from the bank's
marketing account); a grant is paid from the pool to the customer's wallet by one ledger
posting. `spent` counts what is settled plus what pending grants have reserved; it only moves
under the campaign row's lock, so concurrent events never promise more than the budget.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallet.models import AMOUNT, Transaction


# History at the database level (django-pghistory): budget and rule changes, however made.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Campaign(models.Model):
    class Kind(models.TextChoices):
        ACTIVATION_BONUS = "activation_bonus", _("Activation bonus")

    CURRENCY = "CNY"

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=30, choices=Kind.choices, default=Kind.ACTIVATION_BONUS
    )
    reward_amount = models.DecimalField(_("reward (CNY)"), **AMOUNT)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    budget = models.DecimalField(_("total budget (CNY)"), **AMOUNT)
    # Settled plus reserved by pending grants; changed only under this row's lock.
    spent = models.DecimalField(_("spent (CNY)"), default=0, editable=False, **AMOUNT)
    per_customer_cap = models.PositiveSmallIntegerField(
        _("rewards per customer"),
        default=1,
        help_text=_("How many times one customer can be rewarded by this campaign."),
    )
    new_customers_only = models.BooleanField(
        _("new customers only"),
        default=False,
        help_text=_("Only customers who signed up after the campaign started."),
    )
    min_kyc_level = models.PositiveSmallIntegerField(_("minimum verification level"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reward_amount__gt=0),
                name="campaign_reward_positive",
                violation_error_message=_("The reward must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(budget__gt=0),
                name="campaign_budget_positive",
                violation_error_message=_("The budget must be greater than zero."),
            ),
            models.CheckConstraint(
                condition=Q(spent__gte=0) & Q(spent__lte=F("budget")),
                name="campaign_spent_within_budget",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="campaign_ends_after_start",
                violation_error_message=_("The campaign must end after it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def pool_code(self) -> str:
        return f"campaign:{self.pk}"

    @property
    def remaining(self):
        return self.budget - self.spent


class RewardGrant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SETTLED = "settled", _("Paid")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="grants", verbose_name=_("campaign")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reward_grants"
    )
    # Which of the customer's rewards from this campaign (1..per_customer_cap).
    sequence = models.PositiveSmallIntegerField(default=1)
    amount = models.DecimalField(_("amount"), **AMOUNT)
    currency = models.CharField(max_length=3, default=Campaign.CURRENCY)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reward_grant",
        verbose_name=_("transaction"),
    )
    # How many times settlement was queued; the outbox dedupe key of a retry carries it.
    attempts = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    settled_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("reward grant")
        verbose_name_plural = _("reward grants")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One activation gives at most one grant per campaign per customer.
            models.UniqueConstraint(
                fields=["campaign", "user", "sequence"], name="reward_grant_once_per_campaign"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="reward_grant_positive"),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.user} {self.amount}"
