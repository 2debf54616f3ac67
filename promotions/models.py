"""Campaigns and the reward grants they pay.

A campaign's money sits in its own pool ledger account (`campaign:<id>`, funded from the bank's
marketing account); a grant is paid from the pool to the customer's wallet by one ledger
posting. `spent` counts what is settled plus what pending grants have reserved; it only moves
under the campaign row's lock, so concurrent events never promise more than the budget.
"""

import secrets
from decimal import ROUND_DOWN, ROUND_UP, Decimal

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wallet.models import AMOUNT, Merchant, Transaction
from wallet.money import quantize

# --- vouchers and discounts: the arithmetic campaigns and vouchers share -----------------------


def benefit_label(*, benefit, amount, percent, min_spend, currency) -> str:
    """What a discount gives, as a customer reads it: "10.00 CNY off on 100.00 CNY or more"."""
    if benefit == "percent":
        text = _("%(percent)s%% off") % {"percent": f"{percent.normalize():f}"}
    else:
        text = _("%(amount)s CNY off") % {"amount": quantize(amount, currency)}
    if min_spend:
        text = _("%(text)s on %(min)s CNY or more") % {
            "text": text,
            "min": quantize(min_spend, currency),
        }
    return text


def merchant_targeted(merchant, *, merchant_ids, categories) -> bool:
    if not merchant_ids and not categories:
        return True
    return merchant.pk in merchant_ids or merchant.category in (categories or [])


def benefit_amount(amount, *, benefit, fixed, percent, min_spend, max_discount):
    """Percent amounts round down to the fen: the bank never gives more than it promised."""
    if amount < (min_spend or 0):
        return Decimal("0")
    if benefit == Campaign.Benefit.PERCENT:
        value = (amount * (percent or 0) / 100).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    else:
        value = fixed or Decimal("0")
    if max_discount is not None:
        value = min(value, max_discount)
    return quantize(max(value, Decimal("0")), Campaign.CURRENCY)


# History at the database level (django-pghistory): budget and rule changes, however made.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Campaign(models.Model):
    class RewardType(models.TextChoices):
        CASH = "cash", _("Cash")
        VOUCHER = "voucher", _("Voucher")
        POINTS = "points", _("Points")

    class Benefit(models.TextChoices):
        FIXED = "fixed", _("Fixed amount")
        PERCENT = "percent", _("Percent")

    class Kind(models.TextChoices):
        ACTIVATION_BONUS = "activation_bonus", _("Activation bonus")
        # --- vouchers and discounts (merchant discount, first-payment cashback) ---
        MERCHANT_DISCOUNT = "merchant_discount", _("Merchant discount")
        FIRST_PAYMENT_CASHBACK = "first_payment_cashback", _("First-payment cashback")
        # --- end vouchers and discounts ---
        # --- referrals and points (issue 5) ---
        REFERRAL = "referral", _("Referral")
        POINTS = "points", _("Points programme")
        # --- end referrals and points ---

    CURRENCY = "CNY"

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=30, choices=Kind.choices, default=Kind.ACTIVATION_BONUS
    )
    reward_amount = models.DecimalField(
        _("reward (CNY)"),
        help_text=_("The fixed reward, discount or cashback; 0 for a percent one."),
        **AMOUNT,
    )
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

    # --- vouchers and discounts: the terms of a merchant discount, a cashback or a voucher ---
    reward_type = models.CharField(
        _("reward type"),
        max_length=10,
        choices=RewardType.choices,
        default=RewardType.CASH,
        help_text=_(
            "Cash: paid to the wallet, or taken off at checkout for a merchant discount. "
            "Voucher: the customer receives a voucher to use at a later payment."
        ),
    )
    benefit = models.CharField(
        _("fixed amount or percent"),
        max_length=10,
        choices=Benefit.choices,
        default=Benefit.FIXED,
        help_text=_("Fixed: the reward amount is taken off or paid back. Percent: the percent."),
    )
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    min_spend = models.DecimalField(
        _("minimum spend (CNY)"),
        default=0,
        help_text=_("The payment must be at least this much (满减)."),
        **AMOUNT,
    )
    max_discount = models.DecimalField(_("maximum discount (CNY)"), null=True, blank=True, **AMOUNT)
    merchants = models.ManyToManyField(
        "wallet.Merchant",
        blank=True,
        related_name="+",
        verbose_name=_("merchants"),
        help_text=_("Leave merchants and categories empty to apply at every merchant."),
    )
    merchant_categories = models.JSONField(_("merchant categories"), default=list, blank=True)
    # Onboarding branch (backoffice.CustomerBranch); by name so promotions never imports backoffice.
    branch = models.ForeignKey(
        "backoffice.Branch",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("onboarding branch"),
        help_text=_("Only customers of this branch. Empty: every customer."),
    )
    voucher_valid_days = models.PositiveSmallIntegerField(_("voucher valid for (days)"), default=30)
    # --- end vouchers and discounts ---
    # --- segments (promotions/segments.py): empty means every customer ---
    target_segments = models.JSONField(
        _("customer segments"),
        default=list,
        blank=True,
        help_text=_(
            "Only customers in at least one of these segments (computed each night for "
            "customers who accepted personalised offers). Empty: every customer."
        ),
    )
    # --- referral campaign settings (kind=referral); reward_amount is the referee's reward ---
    referrer_reward = models.DecimalField(
        _("referrer's reward (CNY)"),
        null=True,
        blank=True,
        help_text=_("Paid to the customer whose code was used. Leave empty for none."),
        **AMOUNT,
    )
    referral_min_payment = models.DecimalField(
        _("minimum first payment (CNY)"),
        default=0,
        help_text=_("The referred customer's merchant payment that qualifies both rewards."),
        **AMOUNT,
    )
    referrals_per_referrer = models.PositiveSmallIntegerField(
        _("rewarded referrals per referrer"),
        default=10,
        help_text=_("After this many rewarded referrals a referrer earns nothing more."),
    )
    # --- points programme settings (kind=points); reward_amount is the cash for one unit ---
    points_per_cny = models.PositiveSmallIntegerField(
        _("points per 1 CNY spent"),
        default=1,
        help_text=_("Before the category multiplier; fractions of a point are dropped."),
    )
    points_per_unit = models.PositiveIntegerField(
        _("points per redemption unit"),
        default=100,
        help_text=_("This many points are redeemed for the reward amount in cash."),
    )
    points_valid_days = models.PositiveSmallIntegerField(_("points valid for (days)"), default=365)
    # --- activation bonus paid in points (reward type points) ---
    reward_points = models.PositiveIntegerField(
        _("points given"),
        default=0,
        help_text=_(
            "Reward type points: the points each customer receives. The budget counts their "
            "cash value: points ÷ points per redemption unit × reward (CNY per unit), rounded up."
        ),
    )
    # --- a voucher campaign customers can also get with points ---
    points_price = models.PositiveIntegerField(
        _("price in points"),
        null=True,
        blank=True,
        help_text=_(
            "Reward type voucher: customers may exchange this many points for one voucher "
            "(within the rewards per customer). Empty: not for points."
        ),
    )
    # --- end referral and points settings ---

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                # A percent discount or cashback needs no fixed amount.
                condition=Q(reward_amount__gt=0) | (Q(benefit="percent") & Q(reward_amount=0)),
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
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | (Q(percent__gt=0) & Q(percent__lte=100)),
                name="campaign_percent_range",
                violation_error_message=_("The percent must be above 0 and at most 100."),
            ),
            # --- referrals and points (issue 5) ---
            models.CheckConstraint(
                condition=Q(points_per_unit__gt=0),
                name="campaign_points_unit_positive",
                violation_error_message=_("A redemption unit needs at least one point."),
            ),
            models.CheckConstraint(
                condition=Q(points_price__isnull=True)
                | (Q(reward_type="voucher") & Q(points_price__gt=0)),
                name="campaign_points_price_for_vouchers",
                violation_error_message=_(
                    "Only a campaign whose reward type is voucher can have a price in points."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(reward_type="points")
                | (Q(kind="activation_bonus") & Q(reward_points__gt=0)),
                name="campaign_points_reward_is_activation",
                violation_error_message=_(
                    "Only an activation bonus rewards points, and it needs a number of points."
                ),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def rewards_points(self) -> bool:
        return self.reward_type == self.RewardType.POINTS

    @property
    def points_reward_value(self) -> Decimal:
        """What `reward_points` are worth in cash at this campaign's redemption rate, rounded
        up to the fen: the budget is never promised less than the points can be redeemed for."""
        if not self.points_per_unit:
            return Decimal("0")
        value = Decimal(self.reward_points) * self.reward_amount / self.points_per_unit
        return value.quantize(Decimal("0.01"), rounding=ROUND_UP)

    @property
    def pool_code(self) -> str:
        return f"campaign:{self.pk}"

    @property
    def remaining(self):
        return self.budget - self.spent

    @property
    def category_labels(self) -> list[str]:
        labels = dict(Merchant.Category.choices)
        return [str(labels.get(code, code)) for code in self.merchant_categories or []]

    @property
    def offer_label(self) -> str:
        return benefit_label(
            benefit=self.benefit,
            amount=self.reward_amount,
            percent=self.percent,
            min_spend=self.min_spend,
            currency=self.CURRENCY,
        )

    def targets(self, merchant) -> bool:
        """Whether a payment to `merchant` meets the campaign's merchant condition."""
        return merchant_targeted(
            merchant,
            merchant_ids={m.pk for m in self.merchants.all()},
            categories=self.merchant_categories,
        )

    def benefit_for(self, amount):
        """The discount or cashback a payment of `amount` earns (before budget and caps)."""
        return benefit_amount(
            amount,
            benefit=self.benefit,
            fixed=self.reward_amount,
            percent=self.percent,
            min_spend=self.min_spend,
            max_discount=self.max_discount,
        )


class RewardGrant(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SETTLED = "settled", _("Paid")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    class Role(models.TextChoices):
        REFERRER = "referrer", _("Referrer")
        REFEREE = "referee", _("Referred customer")

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
    # --- referrals: which side of which referral this grant pays (empty for other kinds) ---
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, blank=True)
    referral = models.ForeignKey(
        "Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        verbose_name=_("referral"),
    )
    # Reward type points: the points credited when settled (`amount` is their cash value,
    # reserved in the budget). 0 for a cash reward.
    points = models.PositiveIntegerField(_("points"), default=0)
    # The payment that qualified a first-payment cashback (so a reversal of it finds the grant).
    source_transaction = models.ForeignKey(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("qualifying payment"),
    )
    # A settled cashback whose payment was reversed: what was taken back from the wallet, and
    # what could not be (the customer had already spent it).
    clawback_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("taken back by"),
    )
    clawback_shortfall = models.DecimalField(_("not taken back (CNY)"), default=0, **AMOUNT)
    # The reversal of the qualifying payment that undid this grant (refused if unpaid, taken
    # back if paid), set once. An undone referral grant no longer holds its referral's place:
    # a later qualifying payment may reward the referral again (promotions/reversals.py).
    reversed_by = models.ForeignKey(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("undone by reversal"),
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
            # A referral pays each side once, however often its payment event arrives (a grant
            # undone by its payment's reversal leaves room for the next qualifying payment).
            models.UniqueConstraint(
                fields=["referral", "role"],
                condition=Q(referral__isnull=False) & Q(reversed_by__isnull=True),
                name="reward_grant_once_per_referral_role",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} → {self.user} {self.amount}"


# --- vouchers and discounts ----------------------------------------------------------------


class Voucher(models.Model):
    """A discount a campaign gave one customer, used at most once at a payment.

    Its terms are copied from the campaign when issued, so editing the campaign later never
    changes a promise a customer already holds. The discount is paid from the campaign's pool
    and counted in its budget when the voucher is used, under the campaign row's lock.
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        USED = "used", _("Used")
        EXPIRED = "expired", _("Expired")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="vouchers", verbose_name=_("campaign")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="vouchers",
        verbose_name=_("customer"),
    )
    benefit = models.CharField(
        _("fixed amount or percent"),
        max_length=10,
        choices=Campaign.Benefit.choices,
        default=Campaign.Benefit.FIXED,
    )
    amount = models.DecimalField(_("value (CNY)"), null=True, blank=True, **AMOUNT)
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    min_spend = models.DecimalField(_("minimum spend (CNY)"), default=0, **AMOUNT)
    max_discount = models.DecimalField(_("maximum discount (CNY)"), null=True, blank=True, **AMOUNT)
    merchants = models.ManyToManyField(
        "wallet.Merchant", blank=True, related_name="+", verbose_name=_("merchants")
    )
    merchant_categories = models.JSONField(_("merchant categories"), default=list, blank=True)
    currency = models.CharField(max_length=3, default=Campaign.CURRENCY)
    expires_at = models.DateTimeField(_("expires at"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE
    )
    used_by_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="voucher",
        verbose_name=_("used by transaction"),
    )
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    created_at = models.DateTimeField(_("issued"), default=timezone.now)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ["expires_at", "id"]
        indexes = [models.Index(fields=["user", "status"], name="voucher_user_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="used") | Q(used_by_transaction__isnull=False),
                name="voucher_used_has_transaction",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.label}"

    @property
    def label(self) -> str:
        return benefit_label(
            benefit=self.benefit,
            amount=self.amount,
            percent=self.percent,
            min_spend=self.min_spend,
            currency=self.currency,
        )

    @property
    def effective_status(self) -> str:
        if self.status == self.Status.AVAILABLE and self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.status

    def targets(self, merchant) -> bool:
        return merchant_targeted(
            merchant,
            merchant_ids={m.pk for m in self.merchants.all()},
            categories=self.merchant_categories,
        )

    def benefit_for(self, amount):
        return benefit_amount(
            amount,
            benefit=self.benefit,
            fixed=self.amount,
            percent=self.percent,
            min_spend=self.min_spend,
            max_discount=self.max_discount,
        )


class Redemption(models.Model):
    """A discount a campaign paid at a payment (automatically or through a voucher)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("campaign")
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # A voucher's use: once, unless its payment was reversed and the voucher given back (then
    # the reversed redemption stays as the record and the voucher may be used again).
    voucher = models.ForeignKey(
        Voucher,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemptions",
        verbose_name=_("voucher"),
    )
    transaction = models.OneToOneField(
        Transaction,
        on_delete=models.PROTECT,
        related_name="redemption",
        verbose_name=_("transaction"),
    )
    amount = models.DecimalField(_("discount"), **AMOUNT)
    # Set when the payment was reversed: the discount went back to the pool with the reversal,
    # and its amount back to the campaign's budget (once).
    reversed_by = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("discount redemption")
        verbose_name_plural = _("discount redemptions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="redemption_positive"),
            models.UniqueConstraint(
                fields=["voucher"],
                condition=Q(voucher__isnull=False) & Q(reversed_by__isnull=True),
                name="redemption_voucher_once_unless_reversed",
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.amount}"


# --- end vouchers and discounts ----------------------------------------------------------------


# --- referrals -------------------------------------------------------------------------------

# No 0/O, 1/I/L: a code read aloud or copied from paper is typed right the first time.
REFERRAL_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERRAL_CODE_LENGTH = 8


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_CODE_ALPHABET) for _i in range(REFERRAL_CODE_LENGTH))


class ReferralCode(models.Model):
    """A customer's own code, shared as a link or a QR; made the first time they look for it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="referral_code"
    )
    code = models.CharField(_("referral code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self):
        return self.code


class Referral(models.Model):
    """Who brought whom. Rewarded once the referred customer makes a qualifying payment."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a first payment")
        REWARDED = "rewarded", _("Rewarded")
        REFUSED = "refused", _("Not eligible")

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referrals_made",
        verbose_name=_("referrer"),
    )
    # A customer is referred once, by one referrer.
    referee = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="referred_by",
        verbose_name=_("referred customer"),
    )
    # The campaign running when the referral was made (its terms were the ones promised).
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("campaign"),
    )
    code = models.CharField(_("code used"), max_length=16)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # A keyed hash of the referee's identity document, set when rewarded: one reward per person.
    identity_key = models.CharField(max_length=64, blank=True)
    # The referrer's document when the referral was made: replacing it later does not let the
    # old document come back as a "friend".
    referrer_identity_key = models.CharField(max_length=64, blank=True)
    qualifying_transaction = models.OneToOneField(
        Transaction,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("qualifying payment"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    rewarded_at = models.DateTimeField(_("rewarded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(referrer=F("referee")), name="referral_not_self"),
            models.UniqueConstraint(
                fields=["identity_key"],
                condition=Q(status="rewarded") & ~Q(identity_key=""),
                name="referral_rewarded_once_per_identity",
            ),
        ]

    def __str__(self):
        return f"{self.referrer} → {self.referee}"


# --- points ----------------------------------------------------------------------------------


class PointsMultiplier(models.Model):
    """A points programme earns more in some merchant categories (e.g. food ×2)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="multipliers", verbose_name=_("campaign")
    )
    category = models.CharField(
        _("merchant category"), max_length=20, choices=Merchant.Category.choices
    )
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2)

    class Meta:
        verbose_name = _("category multiplier")
        verbose_name_plural = _("category multipliers")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "category"], name="points_multiplier_once_per_category"
            ),
            models.CheckConstraint(
                condition=Q(multiplier__gte=0), name="points_multiplier_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.get_category_display()} ×{self.multiplier}"


class PointsAccount(models.Model):
    """A customer's points balance: changed only under this row's lock, with a PointsEntry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="points_account"
    )
    balance = models.PositiveIntegerField(_("points"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("points account")
        verbose_name_plural = _("points accounts")
        constraints = [
            models.CheckConstraint(condition=Q(balance__gte=0), name="points_balance_not_negative")
        ]

    def __str__(self):
        return f"{self.user}: {self.balance}"


class PointsEntry(models.Model):
    """One earning, redemption or expiry, with the balance right after it. Never edited, except
    an earning's `remaining` (what of it is not yet redeemed or expired, spent oldest first)."""

    class Kind(models.TextChoices):
        EARNED = "earned", _("Earned")
        REDEEMED = "redeemed", _("Redeemed")
        EXPIRED = "expired", _("Expired")
        CLAWED_BACK = "clawback", _("Taken back (payment reversed)")

    account = models.ForeignKey(PointsAccount, on_delete=models.PROTECT, related_name="entries")
    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="points_entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    points = models.IntegerField(_("points"))
    balance_after = models.PositiveIntegerField(_("balance after"))
    remaining = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    # Earned: the payment that earned it (none for an activation bonus). Redeemed: the reward
    # transaction that paid the cash. Taken back: the reversed payment whose points they were.
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # An activation bonus paid in points: the grant it settled (once).
    grant = models.OneToOneField(
        RewardGrant, null=True, blank=True, on_delete=models.PROTECT, related_name="points_entry"
    )
    # Redeemed for a voucher: the voucher it bought (once).
    voucher = models.OneToOneField(
        Voucher, null=True, blank=True, on_delete=models.PROTECT, related_name="points_entry"
    )
    # Taken back: the points of the reversed payment the balance could no longer cover.
    shortfall = models.PositiveIntegerField(_("not taken back"), default=0)
    # Redemptions carry the customer's Idempotency-Key and a fingerprint of the request.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    request_fingerprint = models.CharField(max_length=64, blank=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A payment earns points once, however often its event is delivered.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(kind="earned"),
                name="points_earned_once_per_payment",
            ),
            models.UniqueConstraint(
                fields=["account", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="points_redemption_once_per_key",
            ),
            # A payment's points are taken back once, however often its reversal arrives.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(kind="clawback"),
                name="points_clawed_back_once_per_payment",
            ),
            # Zero only for a take-back the balance could not cover at all (all shortfall).
            models.CheckConstraint(
                condition=~Q(points=0) | (Q(kind="clawback") & Q(shortfall__gt=0)),
                name="points_entry_not_zero_unless_shortfall",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.points}"


# --- segments and offers (promotions/segments.py, promotions/offers.py) -----------------------


class CustomerSegment(models.Model):
    """A customer in a segment, as the last nightly run found them. Only for customers who
    accepted personalised offers: withdrawing that consent deletes their rows at once."""

    class Code(models.TextChoices):
        NEW = "new", _("New customers")
        ACTIVE = "active", _("Active customers")
        DORMANT_30 = "dormant_30", _("Dormant for 30 days")
        DORMANT_60 = "dormant_60", _("Dormant for 60 days")
        DORMANT_90 = "dormant_90", _("Dormant for 90 days")
        HIGH_SPENDER = "high_spender", _("High spenders")
        TOP_FOOD = "top_food", _("Often pay for food and drink")
        TOP_TRANSPORT = "top_transport", _("Often pay for transport")
        TOP_SHOPPING = "top_shopping", _("Often pay for shopping")
        TOP_UTILITIES = "top_utilities", _("Often pay for utilities")
        TOP_ENTERTAINMENT = "top_entertainment", _("Often pay for entertainment")
        TOP_HEALTH = "top_health", _("Often pay for health")
        TOP_OTHER = "top_other", _("Often pay for other things")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="segments"
    )
    code = models.CharField(_("segment"), max_length=20, choices=Code.choices)
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("customer segment")
        verbose_name_plural = _("customer segments")
        constraints = [
            models.UniqueConstraint(fields=["user", "code"], name="customer_segment_unique"),
        ]
        indexes = [models.Index(fields=["code"])]

    def __str__(self):
        return f"{self.user_id} {self.code}"


class CategoryAffinity(models.Model):
    """How much of a customer's merchant payments of the last 90 days went to one category:
    `score` from 0 to 1 (half the share of the amount, half the share of the payments)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="category_affinities"
    )
    category = models.CharField(_("category"), max_length=20, choices=Merchant.Category.choices)
    score = models.DecimalField(_("affinity score"), max_digits=5, decimal_places=4)
    amount = models.DecimalField(_("amount spent (CNY)"), **AMOUNT)
    payments = models.PositiveIntegerField(_("payments"))
    computed_at = models.DateTimeField(_("computed"), default=timezone.now)

    class Meta:
        verbose_name = _("category affinity")
        verbose_name_plural = _("category affinities")
        ordering = ["user", "-score", "category"]
        constraints = [
            models.UniqueConstraint(fields=["user", "category"], name="category_affinity_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.category} {self.score}"


class WinBackMessage(models.Model):
    """A win-back message queued for a dormant customer who accepted marketing: one per
    dormancy stage of one dormant spell (`dormant_since` is the customer's last activity, so a
    customer who comes back and falls dormant again starts a new spell)."""

    class Stage(models.IntegerChoices):
        DAYS_30 = 30, _("30 days")
        DAYS_60 = 60, _("60 days")
        DAYS_90 = 90, _("90 days")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="win_back_messages"
    )
    stage = models.PositiveSmallIntegerField(_("dormant for (days)"), choices=Stage.choices)
    dormant_since = models.DateTimeField(_("last activity"))
    created_at = models.DateTimeField(_("queued"), default=timezone.now)

    class Meta:
        verbose_name = _("win-back message")
        verbose_name_plural = _("win-back messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "stage", "dormant_since"], name="win_back_once_per_stage"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.stage} {self.dormant_since:%Y-%m-%d}"
