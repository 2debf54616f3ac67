"""Every write of the accounts app: devices seen, second factors, security events."""

import base64
import hashlib
import secrets

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from config.qr import qr_svg
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .models import KnownDevice, SecurityEvent, User
from .selectors import primary_second_factors

BACKUP_DEVICE_NAME = "backup"
NEW_DEVICE_ALERT = "accounts.new_device_login"
SECOND_FACTOR_RESET_ALERT = "accounts.second_factor_reset"


def _hash_device_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def security_event_record(
    *, user: User, kind: str, ip_address: str | None = None, user_agent: str = "", **detail
) -> SecurityEvent:
    return SecurityEvent.objects.create(
        user=user,
        kind=kind,
        ip_address=ip_address,
        user_agent=user_agent[:300],
        detail=detail,
    )


@transaction.atomic
def device_login_record(
    *, user: User, device_token: str | None, ip_address: str | None, user_agent: str
) -> tuple[str, bool]:
    """Remember the device a login came from; a device never seen before is a security event.

    Returns the device token to keep on the device and whether it was new.
    """
    if device_token:
        known = KnownDevice.objects.filter(
            user=user, token_hash=_hash_device_token(device_token)
        ).first()
        if known:
            known.last_seen = timezone.now()
            known.save(update_fields=["last_seen"])
            return device_token, False
    device_token = device_token or secrets.token_urlsafe(32)
    KnownDevice.objects.create(
        user=user, token_hash=_hash_device_token(device_token), user_agent=user_agent[:300]
    )
    event = security_event_record(
        user=user,
        kind=SecurityEvent.Kind.NEW_DEVICE_LOGIN,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    outbox_enqueue(
        topic=NEW_DEVICE_ALERT,
        payload={"security_event_id": event.pk},
        dedupe_key=f"security-event:{event.pk}",
    )
    return device_token, True


def new_device_alert_send(*, security_event_id: int) -> None:
    """Tell the customer (inbox, email and SMS: security alerts cannot be switched off)."""
    event = SecurityEvent.objects.select_related("user").get(pk=security_event_id)
    when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    notify(
        user=event.user,
        kind=Notification.Kind.SECURITY,
        title=_("New login to your wallet"),
        body=_(
            "Someone logged in to your wallet from a device we had not seen before "
            "(%(time)s, address %(ip)s). If it was not you, change your password now and contact us."
        )
        % {"time": when, "ip": event.ip_address or "-"},
        dedupe_key=f"security-event:{event.pk}",
        link=reverse("accounts:security"),
    )


def totp_device_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator-app device; it counts only once a code confirms it."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps expect it typed in by hand."""
    return base64.b32encode(device.bin_key).decode().rstrip("=")


def totp_qr_svg(device: TOTPDevice) -> str:
    return qr_svg(device.config_url)


@transaction.atomic
def totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    security_event_record(
        user=device.user, kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED, method="totp"
    )
    return True


@transaction.atomic
def backup_codes_generate(*, user: User) -> list[str]:
    """Replace the user's backup codes with fresh single-use ones and return them (shown once)."""
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(settings.BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    security_event_record(user=user, kind=SecurityEvent.Kind.BACKUP_CODES_GENERATED)
    return codes


@transaction.atomic
def second_factor_remove(*, user: User, device) -> None:
    """Remove one authenticator; backup codes go too once no real second factor is left."""
    if device.user_id != user.pk:
        raise PermissionError("Not this user's device.")
    method = type(device).__name__
    device.delete()
    if not primary_second_factors(user):
        StaticDevice.objects.filter(user=user).delete()
    security_event_record(user=user, kind=SecurityEvent.Kind.SECOND_FACTOR_REMOVED, method=method)


def _locked_out(user: User, request) -> bool:
    """Whether django-axes has locked this account at this address. Axes guards authenticate()
    by itself; a locked account's right second-factor code must not get it in either."""
    if request is None or not settings.AXES_ENABLED:
        return False
    from axes.handlers.proxy import AxesProxyHandler

    locked = AxesProxyHandler.is_locked(request, credentials={"email": user.email})
    if locked:
        request.axes_locked_out = True  # AxesMiddleware answers with the lockout page
    return locked


def second_factor_check(*, user: User, token: str, request=None):
    """The device that accepts `token` (a TOTP code or a backup code, used up), or None.

    A wrong code counts as a failed login, so django-axes locks out guessing.
    """
    if _locked_out(user, request):
        return None
    token = "".join((token or "").split()).lower()
    device = match_token(user, token) if token else None
    if device is None:
        security_event_record(
            user=user,
            kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED,
            ip_address=request.META.get("REMOTE_ADDR") if request else None,
            user_agent=request.META.get("HTTP_USER_AGENT", "") if request else "",
        )
        user_login_failed.send(sender=__name__, credentials={"email": user.email}, request=request)
    return device


@transaction.atomic
def second_factors_reset(*, user: User, reset_by: User) -> dict:
    """Remove every second factor of the user (authenticator apps, passkeys, backup codes), so
    that they enrol again at their next login. A staff action that needed a second approver; the
    user is told (security alert, after commit). Returns how many of each were removed."""
    from django_otp_webauthn.models import WebAuthnCredential

    removed = {}
    for method, model in (
        ("totp", TOTPDevice),
        ("passkey", WebAuthnCredential),
        ("backup_codes", StaticDevice),
    ):
        devices = model.objects.filter(user=user)
        removed[method] = devices.count()
        if method == "backup_codes":
            StaticToken.objects.filter(device__user=user).delete()
        devices.delete()
    event = security_event_record(
        user=user,
        kind=SecurityEvent.Kind.SECOND_FACTOR_REMOVED,
        method="reset_by_staff",
        reset_by=reset_by.pk,
        removed=removed,
    )
    outbox_enqueue(
        topic=SECOND_FACTOR_RESET_ALERT,
        payload={"security_event_id": event.pk},
        dedupe_key=f"security-event:{event.pk}",
    )
    return removed


def second_factor_reset_alert_send(*, security_event_id: int) -> None:
    event = SecurityEvent.objects.select_related("user").get(pk=security_event_id)
    notify(
        user=event.user,
        kind=Notification.Kind.SECURITY,
        title=_("Your second factor was reset"),
        body=_(
            "Bank staff removed your authenticator apps, passkeys and backup codes, approved by "
            "a second staff member. Set up a new second factor at your next login. If you did "
            "not ask for this, contact us now."
        ),
        dedupe_key=f"security-event:{event.pk}",
        link=reverse("accounts:security"),
    )
