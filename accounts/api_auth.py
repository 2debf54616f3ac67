from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication


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
