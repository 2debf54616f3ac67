"""Reads of the accounts app used by more than one caller."""

from django_otp import devices_for_user
from django_otp.plugins.otp_static.models import StaticDevice


def primary_second_factors(user) -> list:
    """Confirmed authenticator apps and passkeys (backup codes are only a fallback)."""
    return [d for d in devices_for_user(user, confirmed=True) if not isinstance(d, StaticDevice)]


def has_second_factor(user) -> bool:
    return bool(primary_second_factors(user))


def backup_codes_left(user) -> int:
    device = StaticDevice.objects.filter(user=user).first()
    return device.token_set.count() if device else 0
