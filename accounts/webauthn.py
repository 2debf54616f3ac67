"""django-otp-webauthn's passkey views, with what this portal adds: a security event on
registration, and a passkey finishing any password login that was waiting for its second factor."""

from allauth.account.internal.stagekit import clear_login
from django.urls import path
from django_otp_webauthn import urls as package_urls
from django_otp_webauthn.views import (
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from .models import SecurityEvent
from .services import security_event_record


class PasskeyRegistrationCompleteView(CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        response = super().post(*args, **kwargs)
        if response.status_code == 200:
            security_event_record(
                user=self.request.user,
                kind=SecurityEvent.Kind.SECOND_FACTOR_ADDED,
                method="passkey",
                ip_address=self.request.META.get("REMOTE_ADDR"),
                user_agent=self.request.headers.get("User-Agent", ""),
            )
        return response


class PasskeyAuthenticationCompleteView(CompleteCredentialAuthenticationView):
    def complete_auth(self, device):
        # The passkey proves who this is on its own; a half-finished password login is dropped.
        clear_login(self.request)
        return super().complete_auth(device)


_OURS = {
    "credential-registration-complete": PasskeyRegistrationCompleteView,
    "credential-authentication-complete": PasskeyAuthenticationCompleteView,
}

app_name = package_urls.app_name
urlpatterns = [
    path(str(p.pattern), _OURS[p.name].as_view(), name=p.name) if p.name in _OURS else p
    for p in package_urls.urlpatterns
]
