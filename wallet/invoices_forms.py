from django import forms
from django.utils.translation import gettext_lazy as _

from .models_invoices import InvoiceTitle


class InvoiceTitleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Invoice for"), choices=InvoiceTitle.Kind.choices, widget=forms.RadioSelect
    )
    name = forms.CharField(
        label=_("Name on the invoice"),
        max_length=100,
        help_text=_("Your name, or the company's registered name."),
    )
    taxpayer_id = forms.CharField(
        label=_("Taxpayer ID"),
        max_length=40,
        required=False,
        help_text=_("Companies only: the 18-character unified social credit code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    address = forms.CharField(
        label=_("Registered address"),
        max_length=200,
        required=False,
        help_text=_("Companies only, optional: for special VAT invoices."),
    )
    phone = forms.CharField(label=_("Company phone"), max_length=30, required=False)
    bank_name = forms.CharField(label=_("Company's bank"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Company's bank account"), max_length=40, required=False)
    is_default = forms.BooleanField(label=_("Use this title by default"), required=False)


class InvoiceRequestForm(forms.Form):
    title = forms.TypedChoiceField(label=_("Invoice title"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, titles=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for title in titles:
            label = title.name
            if title.taxpayer_id:
                label = f"{title.name} · {title.taxpayer_id}"
            choices.append((title.pk, label))
        self.fields["title"].choices = choices
        default = next((t.pk for t in titles if t.is_default), None)
        if default is not None and not self.is_bound:
            self.fields["title"].initial = default
