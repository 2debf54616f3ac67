"""The suitability questionnaire: five questions, each answer scored; the total gives R1-R5."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.api_errors import ApplicationError

QUESTIONS = [
    (
        "age",
        gettext_lazy("How old are you?"),
        [
            ("a", gettext_lazy("65 or older"), 1),
            ("b", gettext_lazy("50 to 64"), 2),
            ("c", gettext_lazy("35 to 49"), 3),
            ("d", gettext_lazy("18 to 34"), 4),
        ],
    ),
    (
        "experience",
        gettext_lazy("How long have you invested in funds, stocks or bonds?"),
        [
            ("a", gettext_lazy("Never"), 1),
            ("b", gettext_lazy("Less than 2 years"), 2),
            ("c", gettext_lazy("2 to 5 years"), 3),
            ("d", gettext_lazy("More than 5 years"), 4),
        ],
    ),
    (
        "horizon",
        gettext_lazy("How long can this money stay invested?"),
        [
            ("a", gettext_lazy("I may need it any day"), 1),
            ("b", gettext_lazy("Up to 1 year"), 2),
            ("c", gettext_lazy("1 to 3 years"), 3),
            ("d", gettext_lazy("More than 3 years"), 4),
        ],
    ),
    (
        "loss",
        gettext_lazy("If your investment lost 10% in a month, what would you do?"),
        [
            ("a", gettext_lazy("Sell everything at once"), 1),
            ("b", gettext_lazy("Sell part of it"), 2),
            ("c", gettext_lazy("Keep it and wait"), 3),
            ("d", gettext_lazy("Buy more"), 4),
        ],
    ),
    (
        "share",
        gettext_lazy("What share of your savings would you invest?"),
        [
            ("a", gettext_lazy("Less than 10%"), 1),
            ("b", gettext_lazy("10% to 25%"), 2),
            ("c", gettext_lazy("25% to 50%"), 3),
            ("d", gettext_lazy("More than 50%"), 4),
        ],
    ),
]

# Total score (5-20) -> the highest risk level the customer may buy.
TOLERANCE_BANDS = [(7, 1), (10, 2), (13, 3), (16, 4), (20, 5)]


def score_answers(answers: dict) -> int:
    """The total score; every question must be answered with one of its choices."""
    errors = {}
    total = 0
    for key, _text, choices in QUESTIONS:
        scores = {code: score for code, _label, score in choices}
        answer = answers.get(key)
        if not isinstance(answer, str) or answer not in scores:
            errors[key] = [_("Choose one of the answers.")]
            continue
        total += scores[answer]
    if errors:
        raise ApplicationError(
            _("Please answer every question."), code="questionnaire_incomplete", fields=errors
        )
    return total


def tolerance_for(score: int) -> int:
    for upper, level in TOLERANCE_BANDS:
        if score <= upper:
            return level
    return 5
