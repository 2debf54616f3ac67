from django import forms
from django.utils.translation import gettext_lazy as _

from .services import second_factor_check, totp_device_confirm


class SecondFactorForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Verification code"),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )

    def __init__(self, *args, user, request=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.request = request
        self.device = None

    def clean_otp_token(self):
        token = self.cleaned_data["otp_token"]
        self.device = second_factor_check(user=self.user, token=token, request=self.request)
        if self.device is None:
            raise forms.ValidationError(_("That code is not valid. Check it and try again."))
        return token


class TOTPConfirmForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )

    def __init__(self, *args, device, **kwargs):
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_otp_token(self):
        token = "".join(self.cleaned_data["otp_token"].split())
        if not totp_device_confirm(device=self.device, token=token):
            raise forms.ValidationError(
                _("That code does not match. Check the time on your phone and try again.")
            )
        return token
