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


# Apps that use a passkey check for their own purpose (the wallet's step-up of one large
# payment) register a handler: called with (request, device) after a logged-in user's passkey
# check; it returns True when the check was for it, and the page then stays where it is.
_passkey_check_handlers = []


def register_passkey_check_handler(handler) -> None:
    if handler not in _passkey_check_handlers:
        _passkey_check_handlers.append(handler)


class PasskeyAuthenticationCompleteView(CompleteCredentialAuthenticationView):
    handled_in_page = False

    def complete_auth(self, device):
        if self.request.user.is_authenticated and device.user_id == self.request.user.pk:
            result = super().complete_auth(device)
            self.handled_in_page = any(
                handler(self.request, device) for handler in _passkey_check_handlers
            )
            return result
        # The passkey proves who this is on its own; a half-finished password login is dropped.
        clear_login(self.request)
        return super().complete_auth(device)

    def get_success_data(self, device):
        data = super().get_success_data(device)
        if self.handled_in_page:
            data["redirect_url"] = ""  # the page's own script carries on (e.g. sends the payment)
        return data


_OURS = {
    "credential-registration-complete": PasskeyRegistrationCompleteView,
    "credential-authentication-complete": PasskeyAuthenticationCompleteView,
}

app_name = package_urls.app_name
urlpatterns = [
    path(str(p.pattern), _OURS[p.name].as_view(), name=p.name) if p.name in _OURS else p
    for p in package_urls.urlpatterns
]
