from django import forms
from django.utils.translation import gettext_lazy as _

from .models import FundOrder
from .questionnaire import QUESTIONS


class SubscribeForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to buy"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class RedeemForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to redeem"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    mode = forms.ChoiceField(
        label=_("Money arrives"),
        choices=FundOrder.Mode.choices,
        initial=FundOrder.Mode.INSTANT,
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class QuestionnaireForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, text, choices in QUESTIONS:
            self.fields[key] = forms.ChoiceField(
                label=text,
                choices=[(code, label) for code, label, _score in choices],
                widget=forms.RadioSelect,
            )
