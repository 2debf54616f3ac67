from django.urls import path

from . import linked_views, setup_views, views

app_name = "accounts"

urlpatterns = [
    path("security/", views.security, name="security"),
    path("privacy/", views.privacy, name="privacy"),
    path("privacy/export/", views.data_export, name="data_export"),
    path("close/", views.account_close_page, name="close"),
    path("closed/", views.account_closed, name="closed"),
    path("verification/", views.verification, name="verification"),
    path("security/authenticator/", views.totp_setup, name="totp_setup"),
    path("security/sms/", setup_views.sms_setup, name="sms_setup"),
    path("setup/second-factor/", setup_views.setup_second_factor, name="setup_second_factor"),
    path("setup/<str:token>/", setup_views.setup, name="setup"),
    path("security/backup-codes/", views.backup_codes_regenerate, name="backup_codes"),
    path(
        "security/<str:kind>/<int:pk>/remove/",
        views.second_factor_remove,
        name="second_factor_remove",
    ),
    path("linked/", linked_views.linked_accounts, name="linked_accounts"),
    path("linked/add/", linked_views.linked_account_add, name="linked_account_add"),
    path(
        "linked/<int:pk>/verify/",
        linked_views.linked_account_verify,
        name="linked_account_verify",
    ),
    path(
        "linked/<int:pk>/default/",
        linked_views.linked_account_default,
        name="linked_account_default",
    ),
    path(
        "linked/<int:pk>/remove/",
        linked_views.linked_account_remove,
        name="linked_account_remove",
    ),
]
