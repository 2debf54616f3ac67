from django.urls import path

from . import api_surveys

urlpatterns = [
    path("surveys/", api_surveys.SurveyListApi.as_view(), name="surveys"),
    path(
        "surveys/invitations/",
        api_surveys.InvitationListApi.as_view(),
        name="survey-invitations",
    ),
    path(
        "surveys/invitations/<int:pk>/answer/",
        api_surveys.InvitationAnswerApi.as_view(),
        name="survey-invitation-answer",
    ),
    path("surveys/<int:pk>/", api_surveys.SurveyDetailApi.as_view(), name="survey"),
    path(
        "surveys/<int:pk>/responses/",
        api_surveys.SurveyResponseApi.as_view(),
        name="survey-responses",
    ),
]
