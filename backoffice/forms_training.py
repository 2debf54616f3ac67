from django import forms
from django.utils.translation import gettext_lazy as _


class QuizForm(forms.Form):
    """One radio group per question of the course; the right answers never reach the page."""

    def __init__(self, course, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.course = course
        for number, question in enumerate(course.questions.all(), start=1):
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=f"{number}. {question.localized('text')}",
                choices=[(c.pk, c.localized("text")) for c in question.choices.all()],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose an answer.")},
            )

    def answers(self) -> dict[int, int]:
        return {int(name[1:]): value for name, value in self.cleaned_data.items()}
