"""The satisfaction figures, as plain functions the staff portal and the KPI dashboards call.

- CSAT = share of 4 and 5 answers among CSAT answers (1–5), in percent.
- NPS = % promoters (9–10) − % detractors (0–6) among NPS answers (0–10), from −100 to 100.
- Complaints per 10,000 customers = tickets of category complaint opened in the period
  ÷ customers (active, non-staff accounts that existed at the end of the period, a count kept
  for 5 minutes) × 10,000.

Periods are half-open [start, end): datetimes as given, or dates taken as midnight in the bank's
time zone (Asia/Shanghai). A figure with nothing to count is None, not 0. Every function runs a
fixed number of queries (one, or two for complaints) however many answers there are.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Avg, Count, F, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek

from .models_surveys import SurveyAnswer, SurveyChoice, SurveyQuestion, SurveyResponseItem
from .models_tickets import Ticket

BANK_TZ = ZoneInfo("Asia/Shanghai")
ONE_DECIMAL = Decimal("0.1")
PERIODS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
BREAKDOWNS = ("day", "week", "month", "branch", "channel")


def _moment(value) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time.min, tzinfo=BANK_TZ)
    raise TypeError("start and end are dates or datetimes")


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _answers(kind: str | None, start, end, *, branch=None, channel=None) -> QuerySet:
    answers = SurveyAnswer.objects.filter(
        created_at__gte=_moment(start), created_at__lt=_moment(end)
    )
    if kind:
        answers = answers.filter(kind=kind)
    if branch is not None:
        answers = answers.filter(customer__customer_branch__branch=branch)
    if channel:
        answers = answers.filter(channel=channel)
    return answers


_COUNTS = {
    "csat_n": Count("pk", filter=Q(kind="csat")),
    "csat_good": Count("pk", filter=Q(kind="csat", score__gte=4)),
    "nps_n": Count("pk", filter=Q(kind="nps")),
    "promoters": Count("pk", filter=Q(kind="nps", score__gte=9)),
    "detractors": Count("pk", filter=Q(kind="nps", score__lte=6)),
}


def csat_from(good: int, answers: int) -> Decimal | None:
    return _percent(good, answers)


def nps_from(promoters: int, detractors: int, answers: int) -> Decimal | None:
    return _percent(promoters - detractors, answers)


def csat(start, end, branch=None, channel=None) -> Decimal | None:
    """Percent of CSAT answers in [start, end) that are 4 or 5 (None without answers)."""
    counts = _answers("csat", start, end, branch=branch, channel=channel).aggregate(
        n=_COUNTS["csat_n"], good=_COUNTS["csat_good"]
    )
    return csat_from(counts["good"], counts["n"])


def nps(start, end, branch=None, channel=None) -> Decimal | None:
    """% promoters (9–10) − % detractors (0–6) of NPS answers in [start, end)."""
    counts = _answers("nps", start, end, branch=branch, channel=channel).aggregate(
        n=_COUNTS["nps_n"], p=_COUNTS["promoters"], d=_COUNTS["detractors"]
    )
    return nps_from(counts["p"], counts["d"], counts["n"])


def complaints_per_10k(start, end, branch=None) -> Decimal | None:
    """Complaint tickets opened in [start, end) per 10,000 customers (two queries)."""
    start, end = _moment(start), _moment(end)
    complaints = Ticket.objects.filter(
        category=Ticket.Category.COMPLAINT, created_at__gte=start, created_at__lt=end
    )
    if branch is not None:
        complaints = complaints.filter(customer__customer_branch__branch=branch)
    count = customers_at(end, branch=branch)
    if not count:
        return None
    return (Decimal(complaints.count()) * 10000 / Decimal(count)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


# Counting the customers is the one part of these figures that grows with the bank (a million
# accounts: about 200 ms a count, twice per KPI dashboard); the count as of a moment changes by
# a handful in a few minutes, which moves a rate per 10,000 customers by nothing visible.
CUSTOMER_COUNT_CACHE_SECONDS = 300


def customers_at(end: datetime, branch=None) -> int:
    """Active non-staff accounts that existed before `end` (one branch's, if given)."""
    key = f"support-metrics:customers:{end.isoformat()}:{branch}"
    count = cache.get(key)
    if count is None:
        customers = get_user_model().objects.filter(
            is_staff=False, is_active=True, date_joined__lt=end
        )
        if branch is not None:
            customers = customers.filter(customer_branch__branch=branch)
        count = customers.count()
        cache.set(key, count, CUSTOMER_COUNT_CACHE_SECONDS)
    return count


def _day(value) -> date:
    return value.astimezone(BANK_TZ).date() if isinstance(value, datetime) else value


@dataclass(frozen=True)
class Row:
    key: object  # a date (periods), a branch id or None, a channel code
    label: str
    csat_answers: int
    csat: Decimal | None
    nps_answers: int
    nps: Decimal | None


def satisfaction_by(start, end, *, by: str, branch=None) -> list[Row]:
    """CSAT and NPS per day, week or month (in Asia/Shanghai), per branch of the customer, or
    per channel of the answer: one query."""
    from .models_surveys import Channel

    answers = _answers(None, start, end, branch=branch)
    if by in PERIODS:
        key = PERIODS[by]("created_at", tzinfo=BANK_TZ)
        rows = answers.annotate(key=key).values("key").annotate(**_COUNTS).order_by("key")
        label = lambda row: _day(row["key"]).isoformat()  # noqa: E731
    elif by == "branch":
        rows = (
            answers.values(
                key=F("customer__customer_branch__branch"),
                name=F("customer__customer_branch__branch__name"),
            )
            .annotate(**_COUNTS)
            .order_by("name", "key")
        )
        label = lambda row: row["name"] or "—"  # noqa: E731
    elif by == "channel":
        rows = answers.values(key=F("channel")).annotate(**_COUNTS).order_by("key")
        labels = dict(Channel.choices)
        label = lambda row: str(labels.get(row["key"], row["key"]))  # noqa: E731
    else:
        raise ValueError(f"unknown breakdown {by!r}")
    return [
        Row(
            key=_day(row["key"]) if by in PERIODS else row["key"],
            label=label(row),
            csat_answers=row["csat_n"],
            csat=csat_from(row["csat_good"], row["csat_n"]),
            nps_answers=row["nps_n"],
            nps=nps_from(row["promoters"], row["detractors"], row["nps_n"]),
        )
        for row in rows
    ]


# --- admin-built surveys ------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answers: int = 0
    average: Decimal | None = None
    choices: list = None  # [(choice, count)]
    texts: list = None  # latest text answers


def survey_results(survey, *, texts_per_question: int = 20) -> tuple[int, list[QuestionResult]]:
    """(responses, a result per question) of an admin-built survey, in five queries."""
    questions = list(survey.questions.order_by("position", "pk"))
    results = {q.pk: QuestionResult(q, choices=[], texts=[]) for q in questions}
    items = SurveyResponseItem.objects.filter(question__survey=survey)
    for row in items.values("question").annotate(n=Count("pk"), avg=Avg("rating")):
        result = results[row["question"]]
        result.answers = row["n"]
        if result.question.kind == SurveyQuestion.Kind.RATING and row["avg"] is not None:
            result.average = Decimal(str(row["avg"])).quantize(Decimal("0.01"))
    choices = (
        SurveyChoice.objects.filter(question__survey=survey)
        .annotate(n=Count("items"))
        .order_by("question", "position", "pk")
    )
    for choice in choices:
        results[choice.question_id].choices.append((choice, choice.n))
    text_items = (
        items.filter(question__kind=SurveyQuestion.Kind.TEXT)
        .exclude(text="")
        .order_by("-response__created_at", "-pk")
        .values_list("question", "text")[: texts_per_question * max(len(questions), 1)]
    )
    for question_id, text in text_items:
        if len(results[question_id].texts) < texts_per_question:
            results[question_id].texts.append(text)
    responses = survey.responses.count()
    return responses, [results[q.pk] for q in questions]
