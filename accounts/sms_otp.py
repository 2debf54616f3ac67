"""The SMS second factor: enrolling a phone as a django-otp device, and sending its codes.

The device is accounts.SMSDevice (django-otp's SideChannelDevice with ThrottlingMixin); its
codes go out through the notifications SMS backend after commit, never stored anywhere else.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.services import sms_send

from .masking import phone_masked
from .models import SecurityEvent, SMSDevice, User
from .phone import normalize_phone
from .services import security_event_record

SEND_WINDOW = timedelta(minutes=10)


def _refuse(field: str, message: str, code: str, status_code: int | None = None):
    return ApplicationError(message, code=code, fields={field: [message]}, status_code=status_code)


def _code_body(code: str) -> str:
    minutes = max(1, settings.OTP_SMS_TOKEN_VALIDITY // 60)
    return _(
        "[Digital wallet] Your login code is %(code)s, valid for %(minutes)d minutes. "
        "Never tell it to anyone, not even our staff."
    ) % {"code": code, "minutes": minutes}


def _count_send(device: SMSDevice, now) -> None:
    """At most OTP_SMS_MAX_SENDS_PER_10_MIN codes per ten minutes per device."""
    if device.sends_window_start is None or device.sends_window_start <= now - SEND_WINDOW:
        device.sends_window_start = now
        device.sends_in_window = 0
    if device.sends_in_window >= settings.OTP_SMS_MAX_SENDS_PER_10_MIN:
        raise _refuse(
            "otp_token",
            _("Too many codes were sent in the last 10 minutes. Wait a few minutes and try again."),
            "sms_too_many",
            status_code=429,
        )
    device.sends_in_window += 1


@transaction.atomic
def sms_code_send(*, device: SMSDevice) -> SMSDevice:
    """Send a fresh 6-digit code to the device's phone (after commit); earlier codes stop counting."""
    device = SMSDevice.objects.select_for_update().get(pk=device.pk)
    now = timezone.now()
    _count_send(device, now)
    device.generate_token(valid_secs=settings.OTP_SMS_TOKEN_VALIDITY, commit=False)
    device.save()
    phone, body = device.phone, _code_body(device.token)
    transaction.on_commit(lambda: sms_send(to=phone, body=body))
    return device


def sms_device_of(user, *, confirmed: bool = True) -> SMSDevice | None:
    return SMSDevice.objects.filter(user=user, confirmed=confirmed).first()


def sms_device_start(*, user: User, phone: str = "") -> SMSDevice:
    """An unconfirmed SMS device for `phone` (the customer's verified phone when not given),
    with a first code sent; it counts as a second factor once that code comes back."""
    try:
        phone = normalize_phone(phone) if phone else (user.phone or "")
    except ValidationError as exc:
        raise _refuse("phone", exc.messages[0], "invalid_phone") from exc
    if not phone:
        raise _refuse("phone", _("Enter your mobile phone number."), "required")
    if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
        raise _refuse("phone", _("This phone number belongs to another account."), "phone_taken")
    with transaction.atomic():
        device = SMSDevice.objects.filter(user=user, confirmed=False).first()
        if device is None or device.phone != phone:
            SMSDevice.objects.filter(user=user, confirmed=False).delete()
            device = SMSDevice.objects.create(user=user, name="sms", phone=phone, confirmed=False)
        return sms_code_send(device=device)


@transaction.atomic
def sms_device_confirm(*, device: SMSDevice, token: str) -> bool:
    token = "".join((token or "").split())
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    user = device.user
    if not user.phone or user.phone == device.phone:
        # The code came back: the customer receives SMS at this number.
        user.phone = device.phone
        user.phone_verified_at = user.phone_verified_at or timezone.now()
        user.save(update_fields=["phone", "phone_verified_at"])
    security_event_record(
        user=user,
        kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED,
        method="sms",
        phone=phone_masked(device.phone),
    )
    return True
