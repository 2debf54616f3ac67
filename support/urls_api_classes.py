from django.urls import path

from . import api_classes

urlpatterns = [
    path("classes/", api_classes.ClassListApi.as_view(), name="classes"),
    path(
        "classes/registrations/",
        api_classes.ClassRegistrationListApi.as_view(),
        name="class-registrations",
    ),
    path(
        "classes/<int:pk>/registration/",
        api_classes.ClassRegistrationApi.as_view(),
        name="class-registration",
    ),
    path("feedback/", api_classes.FeedbackListCreateApi.as_view(), name="feedback"),
]
