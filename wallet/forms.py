from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Biller, Merchant, Transaction
from .money import CURRENCY_CHOICES


class StepUpCodeField(forms.CharField):
    """The second-factor code that approves one large payment (shown only when needed)."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Verification code"),
            required=False,
            max_length=16,
            help_text=_("From your authenticator app, or a backup code."),
            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
            **kwargs,
        )


class HistoryFilterForm(forms.Form):
    """The filters of the history, shared by the page and `GET /api/v1/transactions/`."""

    currency = forms.ChoiceField(
        label=_("Currency"), choices=[("", _("All currencies")), *CURRENCY_CHOICES], required=False
    )
    kind = forms.ChoiceField(
        label=_("Type"), choices=[("", _("All types")), *Transaction.Kind.choices], required=False
    )
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "currency": data.get("currency") or None,
            "kind": data.get("kind") or None,
            "date_from": data.get("date_from"),
            "date_to": data.get("date_to"),
            "text": data.get("q") or None,
        }


class PaymentDetailsForm(forms.Form):
    """How much, in what, and why: the part every way of paying asks for."""

    amount = forms.CharField(
        label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=CURRENCY_CHOICES, initial=settings.WALLET_DEFAULT_CURRENCY
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=settings.WALLET_NOTE_MAX_LENGTH
    )


class TransferForm(PaymentDetailsForm):
    to = forms.CharField(
        label=_("Payee"),
        max_length=254,
        help_text=_("Their email, mobile number or wallet handle."),
    )
    field_order = ["to", "amount", "currency", "note"]


class PaymentForm(PaymentDetailsForm):
    merchant = forms.CharField(
        label=_("Merchant payment code"),
        max_length=32,
        help_text=_("The code printed under the shop's QR code."),
    )
    voucher = forms.CharField(
        label=_("Voucher (optional)"),
        required=False,
        max_length=20,
        widget=forms.Select,
        help_text=_("The discount is shown before you confirm."),
    )
    field_order = ["merchant", "amount", "currency", "note", "voucher"]

    def __init__(self, *args, voucher_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["voucher"].widget.choices = [("", _("No voucher")), *voucher_choices]


class ConfirmForm(forms.Form):
    """The confirmation step carries the request again plus its idempotency key.

    `to` is the payee: a customer (email, phone, handle) or a merchant's payment code.
    """

    to = forms.CharField(widget=forms.HiddenInput, max_length=254)
    amount = forms.CharField(widget=forms.HiddenInput, max_length=32)
    currency = forms.CharField(widget=forms.HiddenInput, max_length=3)
    note = forms.CharField(widget=forms.HiddenInput, required=False, max_length=1000)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)
    otp = StepUpCodeField()
    step_up = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    # A step-up challenge this page had approved with a passkey.
    step_up = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)


class PayConfirmForm(ConfirmForm):
    """A merchant payment's confirmation also carries the chosen voucher and the discount the
    customer saw on the page, so they are never charged more than they confirmed."""

    voucher = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)
    expected_discount = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)


class ReceiveForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount (optional)"),
        required=False,
        max_length=32,
        help_text=_("Leave empty to let the payer choose the amount."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    currency = forms.ChoiceField(
        label=_("Currency"), choices=CURRENCY_CHOICES, initial=settings.WALLET_DEFAULT_CURRENCY
    )
    note = forms.CharField(
        label=_("What is it for? (optional)"),
        required=False,
        max_length=settings.WALLET_NOTE_MAX_LENGTH,
    )


class PayRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class BillForm(forms.Form):
    biller = forms.ModelChoiceField(
        label=_("Biller"),
        queryset=Biller.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=None,
    )
    reference = forms.CharField(
        label=_("Account number"),
        max_length=40,
        help_text=_("As printed on your bill; for a mobile top-up, the phone number."),
    )
    amount = forms.CharField(
        label=_("Amount"), max_length=32, widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )


class BillConfirmForm(ConfirmForm):
    reference = forms.CharField(widget=forms.HiddenInput, max_length=40)


class ExchangeForm(forms.Form):
    sell_currency = forms.ChoiceField(label=_("I sell"), choices=CURRENCY_CHOICES, initial="CNY")
    buy_currency = forms.ChoiceField(label=_("I get"), choices=CURRENCY_CHOICES, initial="USD")
    sell_amount = forms.CharField(
        label=_("Amount to sell"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class ExchangeConfirmForm(forms.Form):
    quote = forms.CharField(widget=forms.HiddenInput, max_length=24)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)


class BudgetForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Merchant.Category.choices)
    amount = forms.CharField(
        label=_("Monthly budget (CNY)"),
        required=False,
        max_length=32,
        help_text=_("Leave empty to remove the budget."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )


class FundingForm(forms.Form):
    """Top-up or withdrawal: which linked source, how much (in CNY), and the request's key."""

    source = forms.ChoiceField(label=_("Card or account"))
    amount = forms.CharField(
        label=_("Amount (CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args, sources, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [(str(s.pk), s.label) for s in sources]


class CashCodeForm(forms.Form):
    """The amount the customer will withdraw in cash at a branch counter."""

    amount = forms.CharField(
        label=_("Amount to withdraw in cash (CNY)"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
