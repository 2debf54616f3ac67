"""Reads of the accounts app used by more than one caller."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice

from .models import IdentityDocument, PhoneVerification, User


def primary_second_factors(user) -> list:
    """Confirmed authenticator apps and passkeys (backup codes are only a fallback)."""
    return [d for d in devices_for_user(user, confirmed=True) if not isinstance(d, StaticDevice)]


def has_second_factor(user) -> bool:
    return bool(primary_second_factors(user))


def backup_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user).first()
    return device.token_set.count() if device else 0


@dataclass(frozen=True)
class LevelLimits:
    level: int
    label: str
    per_transaction: Decimal
    daily: Decimal
    monthly: Decimal


def kyc_limits_by_level() -> list[LevelLimits]:
    """What each verification level allows (settings.WALLET_LIMITS, in CNY), lowest first."""
    labels = dict(User.KycLevel.choices)
    return [
        LevelLimits(
            level=level,
            label=str(labels.get(level, level)),
            per_transaction=Decimal(limits["per_transaction"]),
            daily=Decimal(limits["daily"]),
            monthly=Decimal(limits["monthly"]),
        )
        for level, limits in sorted(settings.WALLET_LIMITS.items())
    ]


def identity_document_of(user):
    return IdentityDocument.objects.filter(user=user).first()


def phone_verification_pending(user):
    """The user's latest code while it can still be entered (not used, expired or dead)."""
    latest = PhoneVerification.objects.filter(user=user).order_by("-created_at", "-id").first()
    if (
        latest is None
        or latest.confirmed_at is not None
        or latest.expires_at <= timezone.now()
        or latest.attempts >= settings.KYC_PHONE_CODE_MAX_ATTEMPTS
    ):
        return None
    return latest


def linked_accounts_of(user):
    """The customer's cards and accounts that are still linked (removed ones stay on record)."""
    from .models import LinkedAccount

    return LinkedAccount.objects.filter(user=user).exclude(status=LinkedAccount.Status.REMOVED)
