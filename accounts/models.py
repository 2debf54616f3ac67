"""The user (email is the login), the devices a user has logged in from, and security events."""

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
