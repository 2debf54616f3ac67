from django import forms
from django.utils.translation import gettext_lazy as _

from .reveal import REVEALABLE


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=list(REVEALABLE.items()), widget=forms.HiddenInput)
    code = forms.CharField(
        label=_("Code from your authenticator"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class BreakGlassForm(forms.Form):
    customer = forms.CharField(label=_("Customer's email, phone or wallet handle"), max_length=254)
    reason = forms.CharField(
        label=_("Why you need this customer now"),
        max_length=500,
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Recorded, sent to your branch manager and reviewed by risk officers."),
    )


class BreakGlassReviewForm(forms.Form):
    note = forms.CharField(label=_("Review note"), max_length=500, required=False)
