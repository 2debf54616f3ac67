from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS, BasePermission


class VerifiedSessionAuthentication(SessionAuthentication):
    """Browser sessions reach the API only when they passed the second factor they have."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user, auth = result
        from .selectors import has_second_factor

        if has_second_factor(user) and not user.is_verified():
            return None
        return user, auth


class VerifiedSessionScheme(SessionScheme):
    """Documents the verified session in the OpenAPI schema like Django's session cookie."""

    target_class = "accounts.api_auth.VerifiedSessionAuthentication"


class SecondFactorEnrolled(BasePermission):
    """A customer who set their password with a setup link moves no money through the API (no
    POST, PUT, PATCH or DELETE) before enrolling a second factor; reading stays open."""

    message = _("Set up a second factor (two-step login) before you use your wallet.")
    code = "second_factor_required"

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        from .middleware import second_factor_enrolment_due

        return not second_factor_enrolment_due(request.user)
