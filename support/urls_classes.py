from django.urls import path

from . import views_classes

app_name = "classes"

urlpatterns = [
    path("", views_classes.class_list, name="list"),
    path("<int:pk>/register/", views_classes.class_register, name="register"),
    path("<int:pk>/cancel/", views_classes.class_cancel, name="cancel"),
]
