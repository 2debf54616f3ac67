"""Roll-up tables of the KPI dashboards (backoffice/kpi/): one row per day and slice.

Rows are keyed by plain ids (no foreign keys): a roll-up is derived data, rebuilt at will by
`backoffice.kpi.rollups.rebuild`, and never blocks a change to what it summarises. Each model is
read from the replica when the database router has one (`read_from_replica`).
"""

from django.db import models
from django.utils import timezone

AMOUNT = {"max_digits": 24, "decimal_places": 4}


class KpiRollup(models.Model):
    read_from_replica = True

    day = models.DateField()  # the bank's time zone (settings.TIME_ZONE)
    branch_id = models.PositiveIntegerField(null=True, blank=True)
    staff_id = models.PositiveIntegerField(null=True, blank=True)  # who onboarded the customer

    class Meta:
        abstract = True

    def __str__(self):
        return f"{type(self).__name__} {self.day} branch={self.branch_id} staff={self.staff_id}"


class KpiTransactionDaily(KpiRollup):
    """Completed, not reversed, volume transactions (definitions.VOLUME_KINDS) of a day."""

    channel = models.CharField(max_length=10)
    kind = models.CharField(max_length=20)
    currency = models.CharField(max_length=3)
    count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(default=0, **AMOUNT)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_txn_day_branch")]


class KpiActiveDaily(KpiRollup):
    """Distinct active customers: that day, the 7 and the 30 days ending that day.
    `channel` "" counts customers active on any channel (not the sum of the channels)."""

    channel = models.CharField(max_length=10, blank=True)
    dau = models.PositiveIntegerField(default=0)
    wau = models.PositiveIntegerField(default=0)
    mau = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_active_day_branch")]


class KpiCohortDaily(KpiRollup):
    """Customers who signed up that day (`day` = sign-up day) and how far they have come."""

    registered = models.PositiveIntegerField(default=0)
    email_verified = models.PositiveIntegerField(default=0)
    kyc1 = models.PositiveIntegerField(default=0)
    kyc2 = models.PositiveIntegerField(default=0)
    activated = models.PositiveIntegerField(default=0)
    activated_1d = models.PositiveIntegerField(default=0)
    activated_7d = models.PositiveIntegerField(default=0)
    activated_30d = models.PositiveIntegerField(default=0)
    first_txn_7d = models.PositiveIntegerField(default=0)
    retained_w1 = models.PositiveIntegerField(default=0)
    retained_w2 = models.PositiveIntegerField(default=0)
    retained_w3 = models.PositiveIntegerField(default=0)
    retained_w4 = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_cohort_day_branch")]


class KpiCampaignDaily(KpiRollup):
    """Reward grants settled, and vouchers issued (with how many were used), per campaign."""

    campaign_id = models.PositiveIntegerField()
    grants = models.PositiveIntegerField(default=0)
    cost = models.DecimalField(default=0, **AMOUNT)
    vouchers_issued = models.PositiveIntegerField(default=0)
    vouchers_redeemed = models.PositiveIntegerField(default=0)
    discounts = models.DecimalField(default=0, **AMOUNT)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_campaign_day_branch")]


class KpiActivationDelayDaily(KpiRollup):
    """How long the customers who signed up that day took to activate their wallet: `count`
    customers activated `hours` whole hours after signing up (floor; the last hour,
    definitions.ACTIVATION_HOURS_CAP, means that long or longer)."""

    hours = models.PositiveIntegerField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_delay_day_branch")]


class KpiCampaignCohortDaily(KpiRollup):
    """Customers who signed up that day and were reached by a campaign (a paid reward grant, a
    voucher, or a discount not taken back, at any time): how many, how many of them activated
    their wallet and how many were active in their fourth week (definitions)."""

    campaign_id = models.PositiveIntegerField()
    reached = models.PositiveIntegerField(default=0)
    activated = models.PositiveIntegerField(default=0)
    retained = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "branch_id"], name="kpi_campcohort_day_branch")]


class KpiRefreshState(models.Model):
    """Where the incremental refresh stopped (one row)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_transaction_id = models.BigIntegerField(default=0)
    last_user_id = models.BigIntegerField(default=0)
    # Days of transactions still pending or held at the last run: their status may change.
    open_days = models.JSONField(default=list, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"KPI refresh up to transaction #{self.last_transaction_id}"
