"""Forms of the ticket pages (customers and agents). Rules live in support/tickets.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models_tickets import Ticket
from .tickets import MESSAGE_MAX_LENGTH


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Up to five photos or PDFs; their checks are support/attachments.py's (by content)."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        )
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Attachments"))
        kwargs.setdefault(
            "help_text", _("Up to 5 photos (JPEG, PNG, WebP) or PDF files, 5 MB each.")
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [f for f in data if f]
        return [data] if data else []


class TicketCreateForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=[("", "—"), *Ticket.Category.choices]
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    message = forms.CharField(
        label=_("Message"),
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Never write your password or a verification code: the bank never asks for them."
        ),
    )
    freeze_wallet = forms.BooleanField(
        label=_("Freeze my wallet now"),
        required=False,
        help_text=_(
            "Only with suspected fraud: stops every payment in and out of your wallet at once. "
            "Unfreezing it needs the bank's staff."
        ),
    )
    transaction = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    files = AttachmentsField()


class CustomerReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    files = AttachmentsField()


class TicketStateForm(forms.Form):
    state = forms.ChoiceField(choices=Ticket.State.choices, widget=forms.HiddenInput)


# --- agents (staff portal) ------------------------------------------------------------------

ASSIGNEE_ME = "me"
ASSIGNEE_NONE = "none"


SLA_DUE_SOON, SLA_BREACHED, SLA_MET = "due_soon", "breached", "met"


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All but closed")), *Ticket.State.choices],
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", _("All")), *Ticket.Category.choices]
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All")), *Ticket.Priority.choices],
    )
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    escalated = forms.BooleanField(label=_("Escalated only"), required=False)
    sla = forms.ChoiceField(
        label=_("SLA"),
        required=False,
        choices=[
            ("", _("All")),
            (SLA_DUE_SOON, _("Due within an hour")),
            (SLA_BREACHED, _("Breached")),
            (SLA_MET, _("Met so far")),
        ],
    )

    def __init__(self, *args, agents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [
            ("", _("Anyone")),
            (ASSIGNEE_ME, _("Me")),
            (ASSIGNEE_NONE, _("Nobody yet")),
            *[(str(agent.pk), agent.get_full_name() or agent.email) for agent in agents],
        ]


class AgentReplyForm(forms.Form):
    canned = forms.ModelChoiceField(
        label=_("Canned reply"),
        required=False,
        queryset=None,
        empty_label="—",
        help_text=_("Used as the text when you leave the message empty."),
    )
    body = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    internal = forms.BooleanField(
        label=_("Internal note (the customer never sees it)"), required=False
    )
    files = AttachmentsField()
    then = forms.ChoiceField(
        label=_("Then"),
        required=False,
        choices=[
            ("", _("Keep the ticket as it is")),
            (Ticket.State.WAITING, _("Wait for the customer's answer")),
            (Ticket.State.RESOLVED, _("Mark it resolved")),
        ],
    )

    def __init__(self, *args, canned_replies=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .models_tickets import CannedReply

        self.fields["canned"].queryset = (
            canned_replies if canned_replies is not None else CannedReply.objects.none()
        )

    def clean(self):
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("files"):
            if data.get("canned"):
                data["body"] = data["canned"].body
            else:
                self.add_error("body", _("Write a message or choose a canned reply."))
        return data


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=None, empty_label=None)

    def __init__(self, *args, agents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = agents
        self.fields["assignee"].label_from_instance = lambda u: u.get_full_name() or u.email


class EscalateForm(forms.Form):
    reason = forms.CharField(label=_("Why escalate?"), max_length=500)


class AgentStateForm(forms.Form):
    state = forms.ChoiceField(label=_("New state"), choices=Ticket.State.choices)


class SlaPeriodForm(forms.Form):
    """The period of the SLA attainment page: whole days, both ends included."""

    MAX_DAYS = 366

    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("The end is before the start."))
            elif (end - start).days >= self.MAX_DAYS:
                self.add_error("end", _("Choose a period of at most a year."))
        return data
