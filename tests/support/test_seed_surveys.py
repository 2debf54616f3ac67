from datetime import timedelta

import pytest
from django.db.models import Max, Min
from django.utils import timezone

from support import metrics, surveys
from support.models_surveys import SurveyAnswer
from support.seed_surveys import demo_survey_answers_ensure, demo_survey_ensure
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_demo_has_months_of_csat_and_nps_and_an_open_survey_and_is_idempotent():
    customers = [UserFactory() for _ in range(4)]
    assert demo_survey_answers_ensure(customers=customers) == 4 * 7
    assert demo_survey_answers_ensure(customers=customers) == 0
    span = SurveyAnswer.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] > timedelta(days=120)
    now = timezone.now()
    assert metrics.csat(now - timedelta(days=200), now) is not None
    assert metrics.nps(now - timedelta(days=200), now) is not None
    # The NPS answers of a customer are at least 90 days apart, as the sampler keeps them.
    for customer in customers:
        dates = sorted(
            SurveyAnswer.objects.filter(customer=customer, kind="nps").values_list(
                "created_at", flat=True
            )
        )
        assert dates[1] - dates[0] > timedelta(days=90)
    survey = demo_survey_ensure()
    assert demo_survey_ensure() == survey
    assert survey.title_zh_hans and survey.title_en and survey.is_open()
    assert survey in surveys.open_surveys()
    assert {q.kind for q in survey.questions.all()} == {"rating", "single", "multiple", "text"}
