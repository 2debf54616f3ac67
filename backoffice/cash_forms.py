"""Forms of the cash desk. Amounts are typed as text and parsed by wallet.money.parse_amount
in the services, so every refusal names its field the same way as in the API."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from .cash_services import DENOMINATIONS

AMOUNT_ATTRS = {"inputmode": "decimal", "autocomplete": "off"}


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class TillOpenForm(forms.Form):
    opening_float = forms.CharField(
        label=_("Opening float (CNY)"),
        max_length=32,
        help_text=_("The cash counted in the drawer before the first customer."),
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )


def _denomination_label(value: str):
    return _("%(value)s yuan notes or coins") % {"value": value}


class TillCloseForm(forms.Form):
    """Counted by denomination (the total is worked out), or the counted total alone."""

    counted_total = forms.CharField(
        label=_("Counted total (CNY)"),
        max_length=32,
        required=False,
        help_text=_("Leave empty when you count by denomination below."),
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value in DENOMINATIONS:
            self.fields[self.field_name(value)] = forms.IntegerField(
                label=_denomination_label(value),
                min_value=0,
                max_value=1_000_000,
                required=False,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )

    @staticmethod
    def field_name(value: str) -> str:
        return "count_" + value.replace(".", "_")

    def denominations(self) -> dict:
        return {
            value: self.cleaned_data.get(self.field_name(value)) or 0 for value in DENOMINATIONS
        }

    def denomination_fields(self):
        return [self[self.field_name(value)] for value in DENOMINATIONS]


class CashInForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount received (CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )
    # Generated when the form is shown: a double click or a retried POST posts once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class CashOutForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount to pay out (CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )
    code = forms.CharField(
        label=_("Cash withdrawal code from the customer's wallet"),
        max_length=12,
        required=False,
        help_text=_("Six digits the customer issued for this amount on their phone."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    otp = forms.CharField(
        label=_("Or the customer's authenticator code"),
        max_length=20,
        required=False,
        help_text=_("Typed by the customer on the counter device."),
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class LargeCashOutApprovalForm(forms.Form):
    """A teller asks a branch manager to approve a withdrawal above the limit (four eyes)."""

    amount = forms.CharField(
        label=_("Amount to pay out (CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs=AMOUNT_ATTRS),
    )
    reason = forms.CharField(
        label=_("Why the customer needs this much cash"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
