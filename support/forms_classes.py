"""Forms of the classes and feedback pages (customers) and the staff pages about them."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models_feedback import FEEDBACK_MAX_LENGTH, Feedback

RATING_CHOICES = [("", _("No rating")), *[(str(n), str(n)) for n in range(1, 6)]]


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=Feedback.Kind.choices)
    text = forms.CharField(
        label=_("Your feedback"),
        max_length=FEEDBACK_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("At most 2000 characters. Please do not include passwords or card numbers."),
    )
    rating = forms.TypedChoiceField(
        label=_("How do you like the wallet? (1 to 5, optional)"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    page = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2000)


class FeedbackFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Feedback.Kind.choices], required=False
    )
    rating = forms.TypedChoiceField(
        label=_("Rating"),
        choices=[("", _("Any rating")), *[(str(n), str(n)) for n in range(1, 6)]],
        coerce=int,
        empty_value=None,
        required=False,
    )
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    text = forms.CharField(label=_("Text contains"), required=False, max_length=100)


class AttendanceRangeForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end < start:
            self.add_error("end", _("The end date must not be before the start date."))
        return cleaned
