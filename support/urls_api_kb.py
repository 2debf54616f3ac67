from django.urls import path

from . import api_kb

urlpatterns = [
    path("faq/", api_kb.FaqListApi.as_view(), name="faq"),
    path("faq/outcome/", api_kb.OutcomeApi.as_view(), name="faq-outcome"),
    path("faq/<int:pk>/vote/", api_kb.VoteApi.as_view(), name="faq-vote"),
    path("announcements/", api_kb.AnnouncementListApi.as_view(), name="announcements"),
    path("tutorials/", api_kb.TutorialListApi.as_view(), name="tutorials"),
    path("tutorials/<slug:slug>/", api_kb.TutorialDetailApi.as_view(), name="tutorial"),
]
