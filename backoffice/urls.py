from django.urls import path

from . import onboarding_views, views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_view, name="customer_view"),
    path("audit/", views.audit_search, name="audit_search"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
    path("onboarding/", onboarding_views.onboarding_list, name="onboarding_list"),
    path("onboarding/new/", onboarding_views.onboarding_start, name="onboarding_start"),
    path("onboarding/<int:pk>/", onboarding_views.onboarding_detail, name="onboarding"),
    path(
        "onboarding/<int:pk>/document/<str:side>/",
        onboarding_views.onboarding_document,
        name="onboarding_document",
    ),
]
