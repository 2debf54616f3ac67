from django import forms
from django.utils.translation import gettext_lazy as _

from .catalog import CONTACTS


def _amount_field():
    return forms.CharField(
        label=_("Amount (demo money, CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class _Keyed(forms.Form):
    # A new key each time the form is shown: a double click or a resubmission posts once.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class PayForm(_Keyed):
    merchant = forms.CharField(
        label=_("Sample shop's payment code"),
        max_length=32,
        help_text=_("Choose a shop above, or type the code printed under a sample QR code."),
    )
    amount = _amount_field()
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=100)


class TransferForm(_Keyed):
    contact = forms.ChoiceField(label=_("To"), choices=())
    amount = _amount_field()
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [("", _("Choose a sample contact"))] + [
            (code, sample.name) for code, sample in CONTACTS.items()
        ]


class TopUpForm(_Keyed):
    amount = _amount_field()
