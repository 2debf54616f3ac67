from django import forms
from django.utils.translation import gettext_lazy as _

from .consent import consents_record
from .identity import DocumentType
from .models import Consent
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


PERSONALISATION_LABEL = _("Choose offers and products for me from how I use my wallet")


class SignupConsentForm(forms.Form):
    """Added to allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS): terms and privacy must be
    accepted; offers by email or SMS only if ticked (they start unticked)."""

    accept_terms = forms.BooleanField(
        label=_("I accept the terms of service and the privacy notice"),
        required=True,
        error_messages={
            "required": _("You need to accept the terms and the privacy notice to open a wallet.")
        },
    )
    marketing_email = forms.BooleanField(label=_("Send me offers by email"), required=False)
    marketing_sms = forms.BooleanField(label=_("Send me offers by SMS"), required=False)
    personalisation = forms.BooleanField(label=PERSONALISATION_LABEL, required=False)

    def signup(self, request, user):
        consents_record(
            user=user,
            choices={
                Consent.Kind.TERMS: True,
                Consent.Kind.PRIVACY: True,
                Consent.Kind.MARKETING_EMAIL: self.cleaned_data["marketing_email"],
                Consent.Kind.MARKETING_SMS: self.cleaned_data["marketing_sms"],
                Consent.Kind.PERSONALISATION: self.cleaned_data["personalisation"],
            },
        )


class MarketingConsentForm(forms.Form):
    marketing_email = forms.BooleanField(label=_("Send me offers by email"), required=False)
    marketing_sms = forms.BooleanField(label=_("Send me offers by SMS"), required=False)
    personalisation = forms.BooleanField(label=PERSONALISATION_LABEL, required=False)


class AccountCloseForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label=_("I understand that I will no longer be able to log in or use my wallet"),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you want to close it.")},
    )


class PhoneVerificationForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("A mainland number may leave out +86. We send a 6-digit code to it."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class PhoneCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


class IdentityDocumentForm(forms.Form):
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        help_text=_("Exactly as on the document."),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )


class SetupPasswordForm(forms.Form):
    """The customer's own password, set with the link from the branch."""

    password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        max_length=256,
        help_text=_("At least 10 characters; not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        max_length=256,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("password1")
            and data.get("password2")
            and data["password1"] != data["password2"]
        ):
            self.add_error("password2", _("The two passwords are not the same."))
        return data


class SMSPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("A mainland number may leave out +86. We send a 6-digit code to it."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
