from django.urls import path

from . import views_classes

app_name = "feedback"

urlpatterns = [
    path("", views_classes.feedback_page, name="new"),
]
