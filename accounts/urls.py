from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("privacy/", views.privacy, name="privacy"),
    path("security/authenticator/", views.totp_setup, name="totp_setup"),
    path("security/backup-codes/", views.backup_codes_regenerate, name="backup_codes"),
    path(
        "security/<str:kind>/<int:pk>/remove/",
        views.second_factor_remove,
        name="second_factor_remove",
    ),
]
