from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.identity import DocumentType

from .models import AuditEvent


class CustomerSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Phone, email, name, wallet handle or last four of the ID"),
        max_length=100,
        min_length=2,
    )


class ViewReasonForm(forms.Form):
    COUNTER = "counter"
    TICKET = "ticket"
    RISK_REVIEW = "risk_review"
    COMPLAINT = "complaint"
    REASONS = [
        (COUNTER, _("Serving the customer at the counter")),
        (TICKET, _("Ticket")),
        (RISK_REVIEW, _("Risk review")),
        (COMPLAINT, _("Complaint")),
    ]
    reason = forms.ChoiceField(label=_("Why are you opening this customer?"), choices=REASONS)
    note = forms.CharField(
        label=_("Ticket number or note"),
        max_length=200,
        required=False,
        help_text=_("Required for a ticket: its number."),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == self.TICKET and not data.get("note", "").strip():
            self.add_error("note", _("Enter the ticket number."))
        return data

    @classmethod
    def reason_label(cls, text: str) -> str:
        """The recorded reason ("ticket: T-17") as the staff member chose it ("Ticket: T-17")."""
        code, _sep, note = text.partition(": ")
        label = str(dict(cls.REASONS).get(code, code))
        return f"{label}: {note}" if note else label

    def reason_text(self) -> str:
        note = self.cleaned_data["note"].strip()
        return f"{self.cleaned_data['reason']}: {note}" if note else self.cleaned_data["reason"]


class AuditFilterForm(forms.Form):
    staff = forms.CharField(label=_("Staff member (email or id)"), max_length=254, required=False)
    customer = forms.CharField(
        label=_("Customer (email, phone or id)"), max_length=254, required=False
    )
    action = forms.ChoiceField(
        label=_("Action"),
        choices=[("", _("Any action")), *AuditEvent.Action.choices],
        required=False,
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class StaffReasonForm(forms.Form):
    """The reason a staff action is taken or asked for: recorded with it in the audit trail."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the audit trail and shown to the approver."),
    )


class CustomerActionForm(StaffReasonForm):
    FREEZE = "freeze"
    REQUEST_UNFREEZE = "request_unfreeze"
    REQUEST_SECOND_FACTOR_RESET = "request_second_factor_reset"
    KYC_LEVEL2 = "kyc_level2"
    REQUEST_REVERSAL = "request_reversal"
    REQUEST_CLOSE = "request_close"
    ACTIONS = [
        (FREEZE, _("Freeze the wallet")),
        (REQUEST_UNFREEZE, _("Ask to unfreeze the wallet")),
        (REQUEST_SECOND_FACTOR_RESET, _("Ask to reset the second factor")),
        (KYC_LEVEL2, _("Verified in person: raise to level 2")),
        (REQUEST_REVERSAL, _("Ask to reverse the transaction")),
        (REQUEST_CLOSE, _("Ask to close the account")),
    ]
    # Raising the level records who saw the document; the audit event is the reason.
    REASON_OPTIONAL = (KYC_LEVEL2,)

    action = forms.ChoiceField(choices=ACTIONS, widget=forms.HiddenInput)
    transaction = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data.get("action") in self.REASON_OPTIONAL:
            self.fields["reason"].required = False

    def clean(self):
        data = super().clean()
        if data.get("action") == self.REQUEST_REVERSAL and not data.get("transaction"):
            self.add_error(None, _("Choose the transaction to reverse."))
        return data


class LimitOverrideForm(StaffReasonForm):
    """A temporary higher limit for one customer, asked of a second staff member."""

    per_transaction = forms.DecimalField(
        label=_("Per-payment limit (CNY)"), max_digits=12, decimal_places=2, min_value=1
    )
    daily = forms.DecimalField(
        label=_("Daily limit (CNY)"), max_digits=12, decimal_places=2, min_value=1
    )
    days = forms.IntegerField(
        label=_("For how many days"),
        min_value=1,
        max_value=31,
        initial=1,
        help_text=_("Counted from the approval; the usual limits apply again afterwards."),
    )


class ApprovalDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    DECISIONS = [(APPROVE, _("Approve")), (REJECT, _("Reject")), (WITHDRAW, _("Withdraw"))]

    decision = forms.ChoiceField(choices=DECISIONS, widget=forms.HiddenInput)
    note = forms.CharField(
        label=_("Note"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when you reject: say why."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REJECT and not (data.get("note") or "").strip():
            self.add_error("note", _("Say why you reject the request."))
        return data


# --- onboarding at the counter ---------------------------------------------------------------


class OnboardingPhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Customer's mobile phone number"),
        help_text=_("A mainland number may leave out +86. A 6-digit code is sent to it."),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )


class OnboardingCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code the customer reads out"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


class DocumentImageInput(forms.ClearableFileInput):
    """Opens the back camera on a counter tablet; a desktop offers a file instead."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"accept": "image/*", "capture": "environment", **(attrs or {})})


class OnboardingIdentityForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), help_text=_("Exactly as on the document."), max_length=150
    )
    email = forms.EmailField(
        label=_("Email address"),
        help_text=_("The customer confirms it the first time they log in with it."),
        max_length=254,
    )
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    address = forms.CharField(label=_("Address"), max_length=255)
    document_front = forms.FileField(
        label=_("Photo of the document, front"),
        help_text=_("A photo (JPEG, PNG, WebP or HEIC), at most 5 MB."),
        required=False,
        widget=DocumentImageInput(),
    )
    document_back = forms.FileField(
        label=_("Photo of the document, back"),
        help_text=_("If the document has a back with details on it."),
        required=False,
        widget=DocumentImageInput(),
    )


class OnboardingConsentForm(forms.Form):
    accept = forms.BooleanField(
        label=_("The customer has read and accepts the terms of service and the privacy notice"),
        required=False,
    )
