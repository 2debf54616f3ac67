"""The ledger (accounts, transactions, entries) and the wallets and merchants that own accounts.

Balances change only by posting a Transaction (wallet/ledger.py). Nothing here is edited or
deleted once written: a reversal is a new transaction pointing at the original.
"""

import secrets

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .invoicing.uscc import validate_uscc
from .money import CURRENCY_CHOICES

AMOUNT = {"max_digits": 20, "decimal_places": 4}


def new_wallet_handle() -> str:
    return "w" + secrets.token_hex(5)


# History at the database level (django-pghistory): a freeze or unfreeze done by a queryset
# .update() or raw SQL is recorded like one done through a service.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Wallet(models.Model):
    class Status(models.TextChoices):
        INACTIVE = "inactive", _("Not activated")
        ACTIVE = "active", _("Active")
        FROZEN = "frozen", _("Frozen")
        CLOSED = "closed", _("Closed")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet"
    )
    handle = models.CharField(
        _("wallet handle"), max_length=32, unique=True, default=new_wallet_handle
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INACTIVE)
    activated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("wallet")
        verbose_name_plural = _("wallets")

    def __str__(self):
        return f"{self.handle} ({self.user})"


class Merchant(models.Model):
    class Category(models.TextChoices):
        FOOD = "food", _("Food and drink")
        TRANSPORT = "transport", _("Transport")
        SHOPPING = "shopping", _("Shopping")
        UTILITIES = "utilities", _("Utilities")
        ENTERTAINMENT = "entertainment", _("Entertainment")
        HEALTH = "health", _("Health")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("payment code"), max_length=32, unique=True)
    category = models.CharField(max_length=20, choices=Category.choices, default=Category.OTHER)
    # The seller's unified social credit code on its e-invoices (wallet/invoicing/uscc.py);
    # a merchant without one does not issue e-invoices.
    taxpayer_id = models.CharField(
        _("taxpayer ID"), max_length=18, blank=True, validators=[validate_uscc]
    )
    # Popular merchants receive many payments at once: their account is split into shards.
    ledger_shards = models.PositiveSmallIntegerField(default=settings.WALLET_MERCHANT_SHARDS)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("merchant")
        verbose_name_plural = _("merchants")

    def __str__(self):
        return self.name


class LedgerAccount(models.Model):
    """One balance in one currency. A hot party's balance is spread over several shards."""

    class Kind(models.TextChoices):
        CUSTOMER = "customer", _("Customer wallet")
        MERCHANT = "merchant", _("Merchant")
        CAMPAIGN_POOL = "campaign_pool", _("Campaign funding pool")
        BANK_CLEARING = "bank_clearing", _("Bank clearing")
        BRANCH_CASH = "branch_cash", _("Branch cash")
        FEE_INCOME = "fee_income", _("Fee income")
        FX_POSITION = "fx_position", _("FX position")
        MARKETING = "marketing", _("Bank marketing budget")
        # A customer's holding in a fund (wealth app): customer money, never below zero.
        FUND_HOLDING = "fund_holding", _("Fund holding")
        # Redemptions waiting for next-business-day settlement: owed to customers.
        FUND_SETTLEMENT = "fund_settlement", _("Fund redemptions to settle")
        # The fund's income, out of which the daily yield is paid: a system account.
        FUND_INCOME = "fund_income", _("Fund income")
        RISK_HOLD = "risk_hold", _("Payments held for risk review")
        # What the bank's own bank charged us (fees on the clearing account): an expense.
        BANK_CHARGES = "bank_charges", _("Bank charges")

    # Accounts of the bank itself; only these may go below zero.
    SYSTEM_KINDS = (
        Kind.BANK_CLEARING,
        Kind.BRANCH_CASH,
        Kind.FEE_INCOME,
        Kind.FX_POSITION,
        Kind.MARKETING,
        Kind.FUND_INCOME,
        Kind.BANK_CHARGES,
    )

    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    wallet = models.ForeignKey(
        Wallet, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    merchant = models.ForeignKey(
        Merchant, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    # Names a system or pool account, e.g. "bank_clearing" or "campaign:42".
    code = models.CharField(max_length=64, blank=True)
    shard = models.PositiveSmallIntegerField(default=0)
    balance = models.DecimalField(default=0, **AMOUNT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__gte=0)
                | Q(
                    kind__in=[
                        "bank_clearing",
                        "branch_cash",
                        "fee_income",
                        "fx_position",
                        "marketing",
                        "fund_income",
                        "bank_charges",
                    ]
                ),
                name="ledger_account_non_negative_unless_system",
            ),
            models.UniqueConstraint(
                fields=["wallet", "currency", "shard"],
                condition=Q(wallet__isnull=False),
                name="ledger_account_unique_wallet_currency",
            ),
            models.UniqueConstraint(
                fields=["merchant", "currency", "shard"],
                condition=Q(merchant__isnull=False),
                name="ledger_account_unique_merchant_currency",
            ),
            models.UniqueConstraint(
                fields=["code", "currency", "shard"],
                condition=~Q(code=""),
                name="ledger_account_unique_code_currency",
            ),
        ]

    def __str__(self):
        owner = (
            self.wallet_id
            and f"wallet {self.wallet_id}"
            or self.merchant_id
            and (f"merchant {self.merchant_id}")
            or self.code
        )
        return f"{self.get_kind_display()} {owner} {self.currency}#{self.shard}"

    @property
    def may_go_negative(self) -> bool:
        return self.kind in self.SYSTEM_KINDS


class Transaction(models.Model):
    class Kind(models.TextChoices):
        TRANSFER = "transfer", _("Transfer")
        PAYMENT = "payment", _("Merchant payment")
        TOP_UP = "top_up", _("Top-up")
        WITHDRAWAL = "withdrawal", _("Withdrawal")
        BILL = "bill", _("Bill payment")
        EXCHANGE = "exchange", _("Currency exchange")
        REWARD = "reward", _("Reward")
        REVERSAL = "reversal", _("Reversal")
        ADJUSTMENT = "adjustment", _("Adjustment")
        CASH_IN = "cash_in", _("Cash deposit at a branch")
        CASH_OUT = "cash_out", _("Cash withdrawal at a branch")
        FUND_SUBSCRIPTION = "fund_subscription", _("Fund subscription")
        FUND_REDEMPTION = "fund_redemption", _("Fund redemption")
        FUND_YIELD = "fund_yield", _("Fund yield")

    class Status(models.TextChoices):
        COMPLETED = "completed", _("Completed")
        PENDING = "pending", _("Pending")
        HELD = "held", _("Held for review")
        REJECTED = "rejected", _("Rejected")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.COMPLETED)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="initiated_transactions",
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    # sha256 of the request that created it: the same key with another body is refused.
    request_fingerprint = models.CharField(max_length=64, blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    description = models.CharField(max_length=200, blank=True)
    note = models.CharField(max_length=140, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiated_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="transaction_unique_idempotency_key_per_user",
            ),
        ]
        # Append-only in PostgreSQL itself. Only `status` may change after posting (a
        # withdrawal moves pending -> completed or rejected: wallet/services/funding.py); it is
        # therefore left out of the sealed content (wallet/chain.py). Any other column is
        # refused, so a new column is protected as soon as its migration regenerates this.
        triggers = [
            pgtrigger.Protect(name="transaction_no_delete", operation=pgtrigger.Delete),
            pgtrigger.Protect(
                name="transaction_sealed_columns_frozen",
                operation=pgtrigger.Update,
                condition=pgtrigger.AnyChange(exclude=["status"]),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"


class Entry(models.Model):
    """One leg of a transaction: a signed amount on one account. Per currency they sum to zero."""

    transaction = models.ForeignKey(Transaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    # The account's balance right after this entry, known exactly because posting holds the
    # account's lock: what alerts, receipts and statements show as "balance".
    balance_after = models.DecimalField(null=True, blank=True, **AMOUNT)

    class Meta:
        verbose_name = _("entry")
        verbose_name_plural = _("entries")
        indexes = [models.Index(fields=["account", "transaction"])]
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="entry_amount_not_zero"),
        ]
        # Entries never change once posted: a correction is a new transaction.
        triggers = [
            pgtrigger.Protect(
                name="entry_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self):
        return f"{self.amount} {self.currency} on {self.account_id}"


GENESIS_HASH = "0" * 64


class TransactionSeal(models.Model):
    """A link of the ledger's hash chain: SHA-256 over one transaction and the link before it.

    Kept apart from the transaction so that sealing never updates the append-only rows. The
    reference to the transaction is deliberately not a database foreign key: if a sealed
    transaction is ever removed, its seal stays behind and the audit names what went missing.
    """

    transaction = models.OneToOneField(
        Transaction,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="seal",
    )
    sequence = models.PositiveBigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    previous_hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("transaction seal")
        verbose_name_plural = _("transaction seals")
        ordering = ["sequence"]
        triggers = [
            pgtrigger.Protect(
                name="transaction_seal_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self):
        return f"#{self.sequence} {self.hash[:12]}"


class SealChainHead(models.Model):
    """The single row sealers lock to extend the chain, one at a time. Posting never touches it.

    `watermark`: every transaction with a lower or equal id is known to be sealed (see
    wallet/chain.py for why it lags behind `cursor`).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)
    watermark = models.PositiveBigIntegerField(default=0)
    # The highest id the forward scan has sealed, and the ids it stepped over on the way that
    # had not committed yet ([first, last, epoch of the commit just above them]): a late commit
    # can only be one of those, so the sealer looks there instead of scanning every row above
    # the watermark on every round.
    cursor = models.PositiveBigIntegerField(default=0)
    open_gaps = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("seal chain head")
        verbose_name_plural = _("seal chain head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="seal_chain_head_single")]

    def __str__(self):
        return f"#{self.sequence} {self.hash[:12]}"


class DailySeal(models.Model):
    """The chain's head at the end of a day (bank time): what auditors keep outside the bank."""

    date = models.DateField(unique=True)
    last_sequence = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("daily seal")
        verbose_name_plural = _("daily seals")
        ordering = ["date"]
        triggers = [
            pgtrigger.Protect(
                name="daily_seal_append_only", operation=pgtrigger.Update | pgtrigger.Delete
            ),
        ]

    def __str__(self):
        return f"{self.date} #{self.last_sequence} {self.hash[:12]}"


def new_request_token() -> str:
    return secrets.token_urlsafe(16)


class PaymentRequest(models.Model):
    """A customer asking to be paid: shown as a QR code and a link, paid once, then done."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for payment")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        EXPIRED = "expired", _("Expired")

    requester = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="payment_requests")
    token = models.CharField(max_length=32, unique=True, default=new_request_token)
    # Empty means the payer chooses the amount.
    amount = models.DecimalField(null=True, blank=True, **AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    note = models.CharField(max_length=140, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    paid_by = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="paid_request"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="request_amount_positive"
            ),
        ]

    def __str__(self):
        return f"{self.token} {self.amount or ''} {self.currency}"

    @property
    def effective_status(self) -> str:
        """An open request past its time reads as expired, whether or not a job marked it yet."""
        if self.status == self.Status.OPEN and self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.status

    def get_effective_status_display(self) -> str:
        return self.Status(self.effective_status).label


class Biller(models.Model):
    """A company whose bills customers pay from the wallet; its money lands on a merchant account."""

    class Kind(models.TextChoices):
        ELECTRICITY = "electricity", _("Electricity")
        WATER = "water", _("Water")
        GAS = "gas", _("Gas")
        MOBILE = "mobile", _("Mobile top-up")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    merchant = models.OneToOneField(Merchant, on_delete=models.PROTECT, related_name="biller")
    # The customer's reference (account number) must match this in full; mobile top-ups
    # are checked as mobile phone numbers instead.
    reference_pattern = models.CharField(max_length=200, default=r"\d{8,12}")
    reference_hint = models.CharField(_("reference hint"), max_length=120, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("biller")
        verbose_name_plural = _("billers")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name


class FxRate(models.Model):
    """How many CNY one unit of a currency is worth (mid), and the bank's spread on it.

    Maintained by admins. Cross rates (USD→EUR) go through CNY.
    """

    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, unique=True)
    cny_per_unit = models.DecimalField(_("CNY per unit (mid)"), max_digits=18, decimal_places=8)
    spread_bps = models.PositiveIntegerField(_("spread (basis points)"), default=50)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["currency"]
        constraints = [
            models.CheckConstraint(condition=Q(cny_per_unit__gt=0), name="fx_rate_positive"),
            models.CheckConstraint(condition=Q(spread_bps__lt=5000), name="fx_spread_below_half"),
        ]

    def __str__(self):
        return f"{self.currency} {self.cny_per_unit}"


def new_quote_token() -> str:
    return secrets.token_urlsafe(12)


class FxQuote(models.Model):
    """A firm price for one exchange: shown to the customer, and exactly what is used."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="fx_quotes"
    )
    token = models.CharField(max_length=24, unique=True, default=new_quote_token)
    sell_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    buy_currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    sell_amount = models.DecimalField(**AMOUNT)
    buy_amount = models.DecimalField(**AMOUNT)
    rate = models.DecimalField(max_digits=18, decimal_places=8)
    expires_at = models.DateTimeField()
    used_by = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="fx_quote"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("exchange quote")
        verbose_name_plural = _("exchange quotes")

    def __str__(self):
        return f"{self.sell_amount} {self.sell_currency} → {self.buy_amount} {self.buy_currency}"


def new_challenge_token() -> str:
    return secrets.token_urlsafe(16)


class StepUpChallenge(models.Model):
    """A second-factor check bound to one payment: its payee, amount and currency.

    A code entered for one transfer can therefore never approve another.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_up_challenges"
    )
    token = models.CharField(max_length=32, unique=True, default=new_challenge_token)
    binding = models.CharField(
        max_length=64, help_text="sha256 of kind, payee, amount and currency"
    )
    description = models.CharField(max_length=200)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="step_up"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("step-up challenge")
        verbose_name_plural = _("step-up challenges")

    def __str__(self):
        return self.token


class Budget(models.Model):
    """A monthly spending budget for one merchant category, in CNY."""

    wallet = models.ForeignKey(Wallet, on_delete=models.CASCADE, related_name="budgets")
    category = models.CharField(max_length=20, choices=Merchant.Category.choices)
    amount = models.DecimalField(**AMOUNT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("budget")
        verbose_name_plural = _("budgets")
        constraints = [
            models.UniqueConstraint(fields=["wallet", "category"], name="budget_one_per_category"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="budget_amount_positive"),
        ]

    def __str__(self):
        return f"{self.wallet} {self.category} {self.amount}"


class BudgetAlert(models.Model):
    """Spending in a category crossed 80% or 100% of its budget in a month: said once."""

    budget = models.ForeignKey(Budget, on_delete=models.CASCADE, related_name="alerts")
    month = models.DateField(help_text="First day of the month")
    threshold = models.PositiveSmallIntegerField()
    spent = models.DecimalField(**AMOUNT)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("budget alert")
        verbose_name_plural = _("budget alerts")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["budget", "month", "threshold"], name="budget_alert_once"
            ),
        ]

    def __str__(self):
        return f"{self.budget} {self.month:%Y-%m} {self.threshold}%"


def new_funding_reference() -> str:
    return "F" + secrets.token_urlsafe(12)


class FundingOrder(models.Model):
    """A top-up from, or a withdrawal to, a linked bank account or card, and where it stands.

    Top-up: pending until the bank confirms; only then is money posted (bank clearing → wallet),
    so a rejection moves nothing. Withdrawal: the wallet is debited into clearing at once
    (`transaction`); the bank's confirmation completes it, a rejection posts a reversal.
    """

    class Direction(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        WITHDRAWAL = "withdrawal", _("Withdrawal")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the bank")
        COMPLETED = "completed", _("Completed")
        REJECTED = "rejected", _("Rejected by the bank")

    reference = models.CharField(max_length=32, unique=True, default=new_funding_reference)
    direction = models.CharField(max_length=10, choices=Direction.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    wallet = models.ForeignKey(Wallet, on_delete=models.PROTECT, related_name="funding_orders")
    source = models.ForeignKey(
        "accounts.LinkedAccount", on_delete=models.PROTECT, related_name="funding_orders"
    )
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    initiated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="funding_orders"
    )
    idempotency_key = models.CharField(max_length=100)
    request_fingerprint = models.CharField(max_length=64)
    # Top-up: the settled posting. Withdrawal: the debit made at once.
    transaction = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="funding_order"
    )
    # Withdrawal rejected: the posting that gave the money back.
    reversal = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejection_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("top-up or withdrawal")
        verbose_name_plural = _("top-ups and withdrawals")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["initiated_by", "idempotency_key"], name="funding_order_unique_key"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="funding_order_amount_positive"),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} {self.reference}"


class CashWithdrawalCode(models.Model):
    """The customer's authorisation of one cash withdrawal at a branch counter: a 6-digit code
    shown once on their own phone, bound to an amount, valid a few minutes, used once.

    Only a hash is kept; the code is salted with the row's own random salt so that the million
    possible codes cannot be looked up in a table. Wrong entries are counted; too many void it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cash_codes"
    )
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    amount = models.DecimalField(**AMOUNT)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="CNY")
    expires_at = models.DateTimeField()
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    voided_at = models.DateTimeField(null=True, blank=True)
    used_by = models.OneToOneField(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="cash_code"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("cash withdrawal code")
        verbose_name_plural = _("cash withdrawal codes")
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self):
        return f"cash code #{self.pk} of {self.user_id}"

    @property
    def is_usable(self) -> bool:
        return (
            self.voided_at is None and self.used_by_id is None and self.expires_at > timezone.now()
        )


from .models_reconciliation import (  # noqa: E402,F401  (models of their own module, issue 11)
    BankStatement,
    BankStatementLine,
    ReconciliationException,
    ReconciliationMatch,
)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class LimitOverride(models.Model):
    """A temporary higher per-payment and daily limit for one wallet, granted by the bank (in the
    back office, by four eyes). The wallet's limit check uses the higher of the level's limit and
    a live override; once `expires_at` passes the override simply stops counting. Kept forever."""

    wallet = models.ForeignKey(
        Wallet, on_delete=models.PROTECT, related_name="limit_overrides", verbose_name=_("wallet")
    )
    per_transaction = models.DecimalField(_("per-payment limit (CNY)"), **AMOUNT)
    daily = models.DecimalField(_("daily limit (CNY)"), **AMOUNT)
    starts_at = models.DateTimeField(_("from"), default=timezone.now)
    expires_at = models.DateTimeField(_("until"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    # Where it came from ("approval:12"): one override per approval, whatever happens.
    reference = models.CharField(_("reference"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("limit override")
        verbose_name_plural = _("limit overrides")
        indexes = [models.Index(fields=["wallet", "expires_at"], name="limit_override_live")]
        constraints = [
            models.CheckConstraint(
                condition=Q(per_transaction__gt=0) & Q(daily__gte=models.F("per_transaction")),
                name="limit_override_amounts_sane",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("starts_at")),
                name="limit_override_expires_after_start",
            ),
        ]

    def __str__(self):
        return f"limit override #{self.pk} of wallet {self.wallet_id}"


# Risk rules and held payments live in their own package (wallet/risk/), e-invoices in their
# own module (issue 10); imported here so that Django finds their models in the wallet app.
from .models_invoices import Invoice, InvoiceTitle, SandboxInvoiceRecord  # noqa: E402, F401
from .risk.models import (  # noqa: E402, F401
    FraudReport,
    RiskCase,
    RiskCaseNote,
    RiskEvaluation,
    RiskHit,
    RiskRule,
)
