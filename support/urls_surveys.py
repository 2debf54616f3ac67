from django.urls import path

from . import views_surveys

app_name = "surveys"

urlpatterns = [
    path("", views_surveys.survey_list, name="list"),
    path("thanks/", views_surveys.thanks, name="thanks"),
    path("a/<str:token>/", views_surveys.answer_by_link, name="answer"),
    path("invitations/<int:pk>/", views_surveys.invitation_answer, name="invitation"),
    path("<int:pk>/", views_surveys.survey_answer, name="survey"),
]
