from django.urls import path

from . import views

app_name = "experience_staff"

urlpatterns = [
    path("", views.staff_start, name="start"),
]
