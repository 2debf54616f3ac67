"""Forms of the chat and callback pages (customers and agents). Rules live in support/chat.py."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .chat import CHAT_MESSAGE_MAX_LENGTH
from .models_chat import Callback
from .models_tickets import Ticket


class ChatStartForm(forms.Form):
    message = forms.CharField(
        label=_("Your question"),
        required=False,
        max_length=CHAT_MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Never write your password or a verification code: the bank never asks for them."
        ),
    )


class ChatMessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"),
        max_length=CHAT_MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "off"}),
    )


class CallbackForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("Call me at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Beijing time, within service hours."),
    )
    phone = forms.CharField(
        label=_("Phone number"),
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text=_("Leave it empty to be called on the number in your profile."),
    )
    topic = forms.CharField(label=_("What is it about?"), required=False, max_length=200)


class AvailabilityForm(forms.Form):
    available = forms.TypedChoiceField(
        choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1", widget=forms.HiddenInput
    )


class ChatEndByAgentForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Ticket category"),
        choices=Ticket.Category.choices,
        initial=Ticket.Category.ACCOUNT,
        help_text=_("The transcript becomes a ticket in this category."),
    )


class CallbackDoneForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *Callback.Outcome.choices])
    note = forms.CharField(label=_("Note"), required=False, max_length=500)
