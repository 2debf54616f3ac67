"""django-axes hooks: which account a failed login was for, and what a locked-out user sees."""

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def username_from_request(request, credentials) -> str | None:
    credentials = credentials or {}
    for key in ("email", "login", "username"):
        if credentials.get(key):
            return str(credentials[key]).strip().lower()
    if request is not None and request.method == "POST":
        for key in ("login", "email"):
            if request.POST.get(key):
                return request.POST[key].strip().lower()
    return None


def _lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return _(
        "Too many failed login attempts. This account is locked for %(minutes)d minutes; "
        "try again later or reset your password."
    ) % {"minutes": minutes}


def lockout_response(request, *args, **kwargs):
    message = _lockout_message()
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "locked_out", "errors": {}}, status=403)
    return render(request, "account/locked_out.html", {"message": message}, status=403)
