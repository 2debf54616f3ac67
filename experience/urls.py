from django.urls import path

from . import views

app_name = "experience"

urlpatterns = [
    path("", views.home, name="home"),
    path("pay/", views.pay, name="pay"),
    path("transfer/", views.transfer, name="transfer"),
    path("top-up/", views.top_up, name="top_up"),
    path("history/", views.history, name="history"),
    path("history/<int:pk>/", views.receipt, name="receipt"),
    path("rewards/", views.rewards, name="rewards"),
    path("security/", views.security, name="security"),
    path("reset/", views.reset, name="reset"),
]
