from django.urls import path

from . import views, views_access, views_training

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_view, name="customer_view"),
    path("audit/", views.audit_search, name="audit_search"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
    # staff training, reveal and break-glass (issue 8)
    path("training/", views_training.training_list, name="training"),
    path("training/team/", views_training.training_team, name="training_team"),
    path("training/<int:pk>/", views_training.training_course, name="training_course"),
    path("customers/<int:pk>/reveal/", views_access.customer_reveal, name="customer_reveal"),
    path("break-glass/", views_access.break_glass_list, name="break_glass_list"),
    path("break-glass/new/", views_access.break_glass_new, name="break_glass_new"),
    path(
        "break-glass/<int:pk>/review/",
        views_access.break_glass_review,
        name="break_glass_review",
    ),
]
