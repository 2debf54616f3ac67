"""The user (email is the login), the devices a user has logged in from, security events,
consents, the bank accounts and cards linked as funding sources (with the sandbox bank's
own records), and what identity verification (KYC) recorded: the identity document and phone
codes."""

import pghistory
from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.models import SideChannelDevice, ThrottlingMixin

from .identity import DocumentType
from .masking import identity_number_masked
from .phone import normalize_phone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.full_clean(exclude=["password"], validate_unique=False)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(email__iexact=username)


# History at the database level (django-pghistory triggers): a bulk update or a raw SQL fix of
# a user's KYC level, phone or status is recorded too. Never the password hash; not the login
# time either (logins are in SecurityEvent, and would flood the history).
@pghistory.track(
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
    exclude=["password", "last_login"],
)
class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("email address"), unique=True)
    # Stored in E.164; blank means "no phone", NULL keeps uniqueness for the many without one.
    phone = models.CharField(_("phone number"), max_length=20, blank=True, null=True, unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)

    class KycLevel(models.IntegerChoices):
        EMAIL_VERIFIED = 0, _("Level 0: email verified")
        PHONE_AND_ID = 1, _("Level 1: phone and ID recorded")
        VERIFIED_IN_PERSON = 2, _("Level 2: verified in person at a branch")

    # Sets the wallet's limits; raised by the KYC flows (level 2 only by branch staff).
    kyc_level = models.PositiveSmallIntegerField(
        _("KYC level"), choices=KycLevel.choices, default=0
    )
    # Set when the customer proved they receive SMS at `phone` (a code sent to it came back).
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    # Set when the password was set with a setup link (onboarded at a branch): such a customer
    # enrols a second factor before any wallet page or money-moving API (accounts/middleware.py).
    second_factor_required = models.BooleanField(_("second factor required"), default=False)
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        self.phone = normalize_phone(self.phone) or None

    @property
    def phone_verified(self) -> bool:
        return bool(self.phone and self.phone_verified_at)

    def get_full_name(self):
        return self.full_name or self.email

    def get_short_name(self):
        return self.full_name or self.email.split("@")[0]


class KnownDevice(models.Model):
    """A browser or app a user has logged in from, recognised by a random cookie token."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="known_devices")
    token_hash = models.CharField(max_length=64)
    user_agent = models.CharField(max_length=300, blank=True)
    first_seen = models.DateTimeField(default=timezone.now)
    last_seen = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("known device")
        verbose_name_plural = _("known devices")
        constraints = [
            models.UniqueConstraint(fields=["user", "token_hash"], name="known_device_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.user_agent[:40]}"


class SecurityEvent(models.Model):
    """Something about a user's security a bank may be asked about. Append-only."""

    class Kind(models.TextChoices):
        NEW_DEVICE_LOGIN = "new_device_login", _("Login from a new device")
        SECOND_FACTOR_ADDED = "second_factor_added", _("Second factor added")
        SECOND_FACTOR_REMOVED = "second_factor_removed", _("Second factor removed")
        BACKUP_CODES_GENERATED = "backup_codes_generated", _("Backup codes generated")
        SECOND_FACTOR_FAILED = "second_factor_failed", _("Wrong second-factor code")
        DATA_EXPORTED = "data_exported", _("Personal data downloaded")
        ACCOUNT_CLOSED = "account_closed", _("Account closed")
        PHONE_VERIFIED = "phone_verified", _("Phone number verified")
        IDENTITY_RECORDED = "identity_recorded", _("Identity document recorded")
        KYC_LEVEL_CHANGED = "kyc_level_changed", _("Verification level changed")
        PASSWORD_SET_BY_LINK = "password_set_by_link", _("Password set with a setup link")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="security_events")
    kind = models.CharField(max_length=40, choices=Kind.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.user}"


class Consent(models.Model):
    """One acceptance or withdrawal, with the version it was about. Append-only: the latest
    row per kind is the customer's current choice, and the history is the bank's proof."""

    class Kind(models.TextChoices):
        TERMS = "terms", _("Terms of service")
        PRIVACY = "privacy", _("Privacy notice")
        MARKETING_EMAIL = "marketing_email", _("Offers by email")
        MARKETING_SMS = "marketing_sms", _("Offers by SMS")
        # Offers and products chosen from the customer's own activity (个性化推荐).
        PERSONALISATION = "personalisation", _("Personalised offers")

    MARKETING_KINDS = (Kind.MARKETING_EMAIL, Kind.MARKETING_SMS)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    version = models.CharField(max_length=20)
    granted = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "kind", "-created_at"])]

    def __str__(self):
        return f"{self.user} {self.kind} {self.version} {self.granted}"


class Bank(models.TextChoices):
    """Banks a customer can link; the connector names the bank from the card number."""

    ICBC = "icbc", _("Industrial and Commercial Bank of China")
    CCB = "ccb", _("China Construction Bank")
    ABC = "abc", _("Agricultural Bank of China")
    BOC = "boc", _("Bank of China")
    BOCOM = "bocom", _("Bank of Communications")
    CMB = "cmb", _("China Merchants Bank")
    OTHER = "other", _("Other bank")


class LinkedAccount(models.Model):
    """A bank account or card linked as a funding source. Holds the bank's token and what a
    customer needs to recognise it (bank, kind, holder, last four digits): never the number."""

    class Kind(models.TextChoices):
        DEBIT_CARD = "debit_card", _("Debit card")
        CREDIT_CARD = "credit_card", _("Credit card")
        BANK_ACCOUNT = "bank_account", _("Bank account")

    class Status(models.TextChoices):
        UNVERIFIED = "unverified", _("Waiting for verification")
        VERIFIED = "verified", _("Verified")
        LOCKED = "locked", _("Verification locked")
        REMOVED = "removed", _("Removed")

    # Money can be sent back to these; a credit card can only fund a wallet.
    WITHDRAWABLE_KINDS = (Kind.DEBIT_CARD, Kind.BANK_ACCOUNT)

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="linked_accounts")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.UNVERIFIED)
    token = models.CharField(max_length=64, unique=True)
    bank = models.CharField(_("bank"), max_length=12, choices=Bank.choices)
    holder_name = models.CharField(_("holder's name"), max_length=150)
    last4 = models.CharField(_("last four digits"), max_length=4)
    expiry_month = models.PositiveSmallIntegerField(null=True, blank=True)
    expiry_year = models.PositiveSmallIntegerField(null=True, blank=True)
    is_default = models.BooleanField(_("default funding source"), default=False)
    failed_verifications = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("linked account")
        verbose_name_plural = _("linked accounts")
        ordering = ["-is_default", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(is_default=True),
                name="linked_account_one_default_per_user",
            ),
            models.CheckConstraint(
                condition=Q(last4__regex=r"^[0-9]{4}$"), name="linked_account_last4_digits"
            ),
        ]

    def __str__(self):
        return f"{self.get_bank_display()} {self.get_kind_display()} ••{self.last4}"

    @property
    def label(self) -> str:
        return str(self)

    @property
    def expiry(self) -> str:
        if not self.expiry_month or not self.expiry_year:
            return ""
        return f"{self.expiry_month:02d}/{self.expiry_year % 100:02d}"

    @property
    def can_withdraw_to(self) -> bool:
        return self.kind in self.WITHDRAWABLE_KINDS


class SandboxInstrument(models.Model):
    """The sandbox bank's own record of a tokenized card or account (the bank's side, kept
    here because the sandbox has no other home). Like a bank, it keeps the micro-deposits it
    sent; unlike a bank, it keeps no number, only how it was told to behave."""

    class Behaviour(models.TextChoices):
        NORMAL = "normal", _("Settles normally")
        INSUFFICIENT_FUNDS = "insufficient_funds", _("Insufficient funds at the bank")
        ACCOUNT_CLOSED = "account_closed", _("Account closed")
        # Withdrawals settle, then the receiving bank sends the money back days later.
        RETURNS_PAYMENTS = "returns_payments", _("Pays out, then returns the payment")

    token = models.CharField(max_length=64, unique=True)
    behaviour = models.CharField(max_length=20, choices=Behaviour.choices)
    micro_deposit_1 = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    micro_deposit_2 = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sandbox bank instrument")
        verbose_name_plural = _("sandbox bank instruments")

    def __str__(self):
        return self.token


class SandboxOperation(models.Model):
    """A debit or credit the sandbox bank was asked to make, and its answer once decided."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Pending")
        SETTLED = "settled", _("Settled")
        REJECTED = "rejected", _("Rejected")

    reference = models.CharField(max_length=64, unique=True)
    token = models.CharField(max_length=64)
    direction = models.CharField(max_length=6)  # "debit" (top-up) or "credit" (withdrawal)
    amount = models.DecimalField(max_digits=20, decimal_places=4)
    currency = models.CharField(max_length=3)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("sandbox bank operation")
        verbose_name_plural = _("sandbox bank operations")

    def __str__(self):
        return self.reference


class IdentityDocument(models.Model):
    """The identity document a customer proved who they are with: at most one per customer, and
    one document belongs to one customer only. Recorded by the customer (level 1) and checked
    in person by branch staff (level 2). The number is shown masked to anyone but its owner."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="identity_document")
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    number = models.CharField(_("document number"), max_length=20)
    full_name = models.CharField(_("full name as on the document"), max_length=150)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    # Both stay empty until branch staff has seen the document itself (level 2).
    verified_at = models.DateTimeField(_("verified in person at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,  # who vouched for an identity is kept as long as the identity
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "number"], name="identity_document_one_owner"
            ),
        ]

    def __str__(self):
        return f"{self.get_document_type_display()} {self.number_masked}"

    @property
    def number_masked(self) -> str:
        return identity_number_masked(self.number)


class PhoneVerification(models.Model):
    """A one-time code sent by SMS to prove a phone number. Only a keyed hash of the code is
    stored; it is valid for a few minutes, dies after a few wrong tries, and only the user's
    latest code counts."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="phone_verifications")
    phone = models.CharField(max_length=20)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("phone verification")
        verbose_name_plural = _("phone verifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(fields=["phone", "created_at"]),
        ]

    def __str__(self):
        return f"{self.user} ****{self.phone[-4:]}"


class SMSDevice(ThrottlingMixin, SideChannelDevice):
    """A second factor that sends a one-time code by SMS to a verified phone number.

    django-otp's side-channel device keeps the latest code and its expiry; ThrottlingMixin makes
    each wrong code double the wait before the next try. On top, at most
    OTP_SMS_MAX_SENDS_PER_10_MIN codes are sent per ten minutes (an SMS costs money and floods
    a phone), counted in `sends_window_start` and `sends_in_window`."""

    phone = models.CharField(_("phone number"), max_length=20)
    sends_window_start = models.DateTimeField(null=True, blank=True)
    sends_in_window = models.PositiveSmallIntegerField(default=0)

    class Meta(SideChannelDevice.Meta):
        verbose_name = _("SMS second factor")
        verbose_name_plural = _("SMS second factors")

    def get_throttle_factor(self):
        return settings.OTP_SMS_THROTTLE_FACTOR

    def verify_token(self, token):
        allowed, _detail = self.verify_is_allowed()
        if not allowed:
            return False
        verified = super().verify_token(token)
        if verified:
            self.throttle_reset()
        else:
            self.throttle_increment()
        return verified


class SetupLink(models.Model):
    """A one-time link a customer onboarded at a branch sets their own password with.

    Only a hash of the token is kept: the link itself exists on the counter screen (as a QR
    code) and in the SMS. Issuing a new one voids the earlier ones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="setup_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("setup link")
        verbose_name_plural = _("setup links")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"
