from django.urls import path

from . import views

app_name = "wallet"

urlpatterns = [
    path("activate/", views.activate, name="activate"),
    path("transfer/", views.transfer, name="transfer"),
    path("transfer/confirm/", views.transfer_confirm, name="transfer_confirm"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("transactions/<int:pk>/", views.transaction_detail, name="transaction"),
]
