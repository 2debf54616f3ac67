"""Forms of the survey pages. The rules (scales, required questions, one answer) live in
support/surveys.py; these only lay the questions out."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models_surveys import SurveyInvitation, SurveyQuestion
from .surveys import COMMENT_MAX_LENGTH, TEXT_MAX_LENGTH, field_name


class ScoreForm(forms.Form):
    """A CSAT (1–5) or NPS (0–10) question with an optional comment."""

    score = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Anything you would like to tell us? (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, invitation: SurveyInvitation, **kwargs):
        super().__init__(*args, **kwargs)
        low, high = invitation.scale_min, invitation.scale_max
        score = self.fields["score"]
        score.choices = [(n, str(n)) for n in range(low, high + 1)]
        if invitation.kind == SurveyInvitation.Kind.CSAT:
            score.label = _(
                "How satisfied are you with our help? (1 = very unhappy, 5 = very happy)"
            )
        else:
            score.label = _(
                "How likely are you to recommend our wallet to a friend? "
                "(0 = not at all, 10 = extremely likely)"
            )
        score.error_messages["required"] = _("Choose a score.")


class SurveyForm(forms.Form):
    """One field per question of an admin-built survey, named q<id>."""

    def __init__(self, *args, survey, **kwargs):
        super().__init__(*args, **kwargs)
        kind = SurveyQuestion.Kind
        for question in survey.questions.all():
            common = {"label": question.text, "required": False}
            if question.kind == kind.RATING:
                field = forms.ChoiceField(
                    choices=[(str(n), str(n)) for n in range(1, 6)],
                    widget=forms.RadioSelect,
                    **common,
                )
            elif question.kind == kind.TEXT:
                field = forms.CharField(
                    max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3}), **common
                )
            else:
                choices = [(str(c.pk), c.text) for c in question.choices.all()]
                if question.kind == kind.SINGLE:
                    field = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
                else:
                    field = forms.MultipleChoiceField(
                        choices=choices, widget=forms.CheckboxSelectMultiple, **common
                    )
            # The service decides what is required (with its message); the mark is shown here.
            field.question_required = question.required
            self.fields[field_name(question)] = field
