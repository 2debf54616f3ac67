"""Signal receivers: thin, each calls a service."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .services import device_login_record


@receiver(user_logged_in, dispatch_uid="accounts.record_login_device")
def record_login_device(sender, request, user, **kwargs):
    if request is None:
        return
    presented = request.COOKIES.get(settings.DEVICE_COOKIE_NAME) or request.headers.get(
        "X-Device-Id"
    )
    token, is_new = device_login_record(
        user=user,
        device_token=presented,
        ip_address=request.META.get("REMOTE_ADDR"),
        user_agent=request.headers.get("User-Agent", ""),
    )
    if is_new:
        request.new_device_token = token
