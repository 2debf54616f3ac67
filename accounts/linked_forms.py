"""Forms of the linked-accounts pages. The number field never shows what was typed again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Bank, LinkedAccount


class NeverRedisplayedInput(forms.TextInput):
    """A re-shown form (after an error) comes back with this field empty, so a card number
    is never written into a page."""

    def format_value(self, value):
        return None


class LinkAccountForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What are you linking?"),
        choices=LinkedAccount.Kind.choices,
        initial=LinkedAccount.Kind.DEBIT_CARD,
        widget=forms.RadioSelect,
    )
    number = forms.CharField(
        label=_("Card or account number"),
        max_length=40,
        widget=NeverRedisplayedInput(
            attrs={"inputmode": "numeric", "autocomplete": "cc-number", "spellcheck": "false"}
        ),
        help_text=_("Only your bank keeps the full number; we keep the last four digits."),
    )
    holder_name = forms.CharField(
        label=_("Name on the card or account"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "cc-name"}),
    )
    expiry = forms.CharField(
        label=_("Expiry date (cards)"),
        max_length=7,
        required=False,
        help_text=_("MM/YY, as printed on the card. Leave empty for a bank account."),
        widget=forms.TextInput(attrs={"autocomplete": "cc-exp", "placeholder": "08/29"}),
    )
    bank = forms.ChoiceField(
        label=_("Bank (bank accounts)"),
        choices=[("", _("Choose for a bank account")), *Bank.choices],
        required=False,
        help_text=_("For a card, we know the bank from its number."),
    )


class MicroDepositsForm(forms.Form):
    amount_1 = forms.CharField(
        label=_("First deposit"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
    amount_2 = forms.CharField(
        label=_("Second deposit"),
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "0.00"}),
    )
