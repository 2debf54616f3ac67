from django.urls import path

from . import views

app_name = "backoffice"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_search, name="customer_search"),
    path("customers/<int:pk>/", views.customer_view, name="customer_view"),
    path("customers/<int:pk>/actions/", views.customer_action, name="customer_action"),
    path("approvals/", views.approval_queue, name="approval_queue"),
    path("approvals/<int:pk>/", views.approval_detail, name="approval_detail"),
    path("approvals/<int:pk>/decision/", views.approval_decide, name="approval_decide"),
    path("audit/", views.audit_search, name="audit_search"),
    path("audit/export.csv", views.audit_csv, name="audit_csv"),
]
