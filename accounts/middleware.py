"""Request-level guards of identity: staff second factor, device cookie."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from .selectors import has_second_factor


class StaffSecondFactorMiddleware:
    """Staff reach the admin and the back office only with a verified second factor.

    Logged-in customers get 403 there; visitors go on to the views, which send them to log in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(settings.STAFF_SECOND_FACTOR_PATHS):
            response = self._guard(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _guard(self, request):
        user = request.user
        if user.is_authenticated and not user.is_staff:
            # Not a login problem: the login page sends a logged-in user straight back to
            # `next`, so a redirect there would loop. Customers are simply not allowed here.
            raise PermissionDenied
        if not user.is_authenticated or user.is_verified():
            return None
        query = urlencode({"next": request.get_full_path()})
        if has_second_factor(user):
            return redirect(f"{reverse('account_second_factor')}?{query}")
        messages.warning(request, _("Staff must set up a second factor before continuing."))
        return redirect(f"{reverse('accounts:totp_setup')}?{query}")


def second_factor_enrolment_due(user) -> bool:
    """A customer who set their password with a setup link and has no second factor yet (none
    enrolled, or a reset removed it). Costs no query for everyone else."""
    return bool(
        user.is_authenticated
        and getattr(user, "second_factor_required", False)
        # A token-authenticated API user has no is_verified (that comes with OTPMiddleware).
        and not getattr(user, "is_verified", lambda: False)()
        and not has_second_factor(user)
    )


class SecondFactorEnrolmentMiddleware:
    """A customer onboarded at a branch enrols a second factor before reaching any wallet page:
    they are sent to choose one (an authenticator app, SMS codes or a passkey). The API's
    money-moving calls are refused by accounts.api_auth.SecondFactorEnrolled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(
            settings.SECOND_FACTOR_ENROLMENT_PATHS
        ) and second_factor_enrolment_due(request.user):
            messages.warning(
                request, _("Set up a second factor to protect your wallet before you continue.")
            )
            return redirect("accounts:setup_second_factor")
        return self.get_response(request)


class DeviceCookieMiddleware:
    """Keeps the token of a newly recognised device on it, so its next login is not new."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        token = getattr(request, "new_device_token", None)
        if token:
            response.set_cookie(
                settings.DEVICE_COOKIE_NAME,
                token,
                max_age=settings.DEVICE_COOKIE_MAX_AGE,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
