from django import forms
from django.utils.translation import gettext_lazy as _


class PointsRedeemForm(forms.Form):
    points = forms.IntegerField(label=_("Points to redeem"), min_value=1, max_value=10_000_000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class PointsVoucherForm(forms.Form):
    campaign = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2_147_483_647)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class ReferralCodeForm(forms.Form):
    code = forms.CharField(
        label=_("A friend's referral code"),
        max_length=32,
        help_text=_("If a friend invited you, enter their code so that you both get a reward."),
    )
