from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_view, name="customer_view"),
    path("audit/", views.audit_search, name="audit_search"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
]
