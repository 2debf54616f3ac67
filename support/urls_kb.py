from django.urls import path

from . import views_kb

app_name = "kb"

urlpatterns = [
    path("", views_kb.help_home, name="home"),
    path("search/", views_kb.search, name="search"),
    path("suggest/", views_kb.suggest, name="suggest"),
    path("security/", views_kb.security_guide, name="security"),
    path("outcome/", views_kb.outcome, name="outcome"),
    path("tour/done/", views_kb.tour_done, name="tour_done"),
    path("a/<slug:slug>/", views_kb.article, name="article"),
    path("a/<slug:slug>/vote/", views_kb.vote, name="vote"),
    path("notices/<int:pk>/", views_kb.notice, name="notice"),
    path("notices/<int:pk>/dismiss/", views_kb.notice_dismiss, name="notice_dismiss"),
]
