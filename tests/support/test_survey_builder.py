"""Surveys built in the admin: customers see the open ones (page and API), answer once (a DB
constraint), with an error per question; a closed survey is not found."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from backoffice.roles import CAMPAIGN_ADMIN
from support.models_surveys import SurveyResponse, SurveyResponseItem
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff, staff_client

from .factories import built_survey

pytestmark = pytest.mark.django_db


def _fields(survey):
    questions = list(survey.questions.order_by("position"))
    rating, single, multiple, text = questions
    return rating, single, multiple, text


def test_a_customer_answers_an_open_survey_once_on_the_page(client, django_assert_max_num_queries):
    survey = built_survey()
    built_survey(opens_days_ago=-1, title="未开始")  # not open yet: not listed
    rating, single, multiple, text = _fields(survey)
    customer = UserFactory()
    client.force_login(customer)
    with django_assert_max_num_queries(10):
        listing = client.get(reverse("surveys:list")).content.decode()
    assert survey.title_zh_hans in listing and "未开始" not in listing
    url = reverse("surveys:survey", args=[survey.pk])
    with django_assert_max_num_queries(12):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "您最常用哪个功能？" in html and "<legend" in html

    picks = [str(c.pk) for c in multiple.choices.all()[:2]]
    response = client.post(
        url,
        {
            f"q{rating.pk}": "4",
            f"q{single.pk}": str(single.choices.first().pk),
            f"q{multiple.pk}": picks,
            f"q{text.pk}": "<script>alert(1)</script>",
        },
    )
    assert response.status_code == 302
    saved = SurveyResponse.objects.get(survey=survey, customer=customer)
    assert saved.channel == "link"
    items = {i.question_id: i for i in SurveyResponseItem.objects.filter(response=saved)}
    assert items[rating.pk].rating == 4
    assert sorted(str(c.pk) for c in items[multiple.pk].choices.all()) == sorted(picks)
    assert items[text.pk].text == "<script>alert(1)</script>"
    # Answered: the page says so, a second answer changes nothing.
    again = client.post(url, {f"q{rating.pk}": "1", f"q{single.pk}": picks[0]})
    assert 'data-state="answered"' in again.content.decode()
    assert SurveyResponse.objects.count() == 1


def test_missing_and_wrong_answers_are_named_per_question_and_nothing_is_stored(client):
    survey = built_survey()
    rating, single, multiple, text = _fields(survey)
    other_question_choice = survey.questions.get(pk=multiple.pk).choices.first()
    client.force_login(UserFactory())
    response = client.post(
        reverse("surveys:survey", args=[survey.pk]),
        {f"q{single.pk}": "", f"q{multiple.pk}": [str(other_question_choice.pk)]},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_q{rating.pk}_error"' in html and f'id="id_q{single.pk}_error"' in html
    assert not SurveyResponse.objects.exists()


def test_one_response_per_customer_is_a_database_constraint():
    survey = built_survey()
    customer = UserFactory()
    SurveyResponse.objects.create(survey=survey, customer=customer, channel="app")
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(survey=survey, customer=customer, channel="link")


def test_the_api_lists_shows_and_answers_open_surveys(django_assert_max_num_queries):
    survey = built_survey()
    closed = built_survey(opens_days_ago=40, closes_in_days=-1, title="已结束")
    rating, single, multiple, text = _fields(survey)
    api = APIClient()
    api.force_authenticate(UserFactory())
    with django_assert_max_num_queries(4):
        listed = api.get(reverse("api:surveys")).json()
    assert [s["id"] for s in listed["results"]] == [survey.pk]
    assert listed["results"][0]["answered"] is False
    with django_assert_max_num_queries(5):
        detail = api.get(reverse("api:survey", args=[survey.pk])).json()
    assert [q["field"] for q in detail["questions"]] == [f"q{q.pk}" for q in _fields(survey)]
    assert api.get(reverse("api:survey", args=[closed.pk])).status_code == 404

    url = reverse("api:survey-responses", args=[survey.pk])
    bad = api.post(url, {"answers": {f"q{rating.pk}": 7, f"q{single.pk}": [1, 2]}}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {f"q{rating.pk}", f"q{single.pk}"}
    assert api.post(url, {"answers": "no"}, format="json").status_code == 400
    good = {f"q{rating.pk}": 5, f"q{single.pk}": single.choices.last().pk}
    created = api.post(url, {"answers": good}, format="json")
    assert created.status_code == 201 and created.json()["survey"] == survey.pk
    assert SurveyResponse.objects.get().channel == "app"
    twice = api.post(url, {"answers": good}, format="json")
    assert twice.status_code == 400 and twice.json()["code"] == "survey_answered"
    assert api.get(reverse("api:surveys")).json()["results"][0]["answered"] is True
    closed_answer = api.post(
        reverse("api:survey-responses", args=[closed.pk]), {"answers": good}, format="json"
    )
    assert closed_answer.status_code == 404


def test_campaign_admins_build_surveys_in_the_admin():
    admin_user = staff(CAMPAIGN_ADMIN)
    client = staff_client(admin_user)
    assert client.get(reverse("admin:support_survey_add")).status_code == 200
    assert client.get(reverse("admin:support_surveyquestion_add")).status_code == 200
    assert client.get(reverse("admin:support_surveyanswer_changelist")).status_code == 200


def test_a_text_answer_with_a_null_character_is_refused_not_a_500():
    survey = built_survey()
    rating, single, _multiple, text = _fields(survey)
    api = APIClient()
    api.force_authenticate(UserFactory())
    answers = {
        f"q{rating.pk}": 3,
        f"q{single.pk}": single.choices.first().pk,
        f"q{text.pk}": "a\x00b",
    }
    response = api.post(
        reverse("api:survey-responses", args=[survey.pk]), {"answers": answers}, format="json"
    )
    assert response.status_code == 400 and f"q{text.pk}" in response.json()["errors"]
    assert not SurveyResponse.objects.exists()
