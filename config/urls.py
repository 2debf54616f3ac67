from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import api as accounts_api
from accounts import linked_accounts_api
from accounts import views as accounts_views
from notifications import api as notifications_api
from promotions import views as promotions_views
from support import urls_api_tickets as support_tickets_api
from wallet import views as wallet_views

from . import views


def _admin_login(request, extra_context=None):
    # One login for everyone: allauth's, with its second-factor stage; never the admin's own form.
    return redirect_to_login(request.GET.get("next", "/admin/"), settings.LOGIN_URL)


admin.site.login = _admin_login
admin.site.site_header = "数字钱包 · Admin"

api_v1 = [
    path("auth/token/", accounts_api.TokenObtainApi.as_view(), name="auth-token"),
    path("me/", accounts_api.MeApi.as_view(), name="me"),
    path("me/export/", accounts_api.DataExportApi.as_view(), name="me-export"),
    path("me/close/", accounts_api.AccountCloseApi.as_view(), name="me-close"),
    path("", include("accounts.urls_api")),
    path("", include("wallet.urls_api")),
    path("", include("promotions.urls_api")),
    path("", include("wealth.urls_api")),
    path("", include("support.urls_api_kb")),
    path(
        "linked-accounts/",
        linked_accounts_api.LinkedAccountListCreateApi.as_view(),
        name="linked-accounts",
    ),
    path(
        "linked-accounts/<int:pk>/",
        linked_accounts_api.LinkedAccountDetailApi.as_view(),
        name="linked-account",
    ),
    path(
        "linked-accounts/<int:pk>/verify/",
        linked_accounts_api.LinkedAccountVerifyApi.as_view(),
        name="linked-account-verify",
    ),
    path(
        "linked-accounts/<int:pk>/default/",
        linked_accounts_api.LinkedAccountDefaultApi.as_view(),
        name="linked-account-default",
    ),
    path("", include(support_tickets_api.urlpatterns)),
    path("", include("support.urls_api_surveys")),
    path("", include("support.urls_api_classes")),
    path("notifications/", notifications_api.NotificationListApi.as_view(), name="notifications"),
    path(
        "notifications/read/",
        notifications_api.NotificationMarkReadApi.as_view(),
        name="notifications-read",
    ),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", wallet_views.dashboard, name="dashboard"),
    path("wallet/", include("wallet.urls")),
    path("notifications/", include("notifications.urls")),
    path("help/", include("support.urls_kb")),
    path("rewards/", include("promotions.urls")),
    path("wealth/", include("wealth.urls")),
    path("support/chat/", include("support.urls_chat")),
    path("support/", include("support.urls_tickets")),
    path("surveys/", include("support.urls_surveys")),
    path("classes/", include("support.urls_classes")),
    path("feedback/", include("support.urls_feedback")),
    path("r/<str:code>/", promotions_views.referral_link, name="referral_link"),
    path("legal/<slug:document>/", accounts_views.legal, name="legal"),
    path("verify/receipt/", wallet_views.verify_receipt, name="verify_receipt"),
    path("preferences/text-size/", views.text_size, name="text_size"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/2fa/", accounts_views.second_factor, name="account_second_factor"),
    path("accounts/", include("allauth.urls")),
    path("accounts/", include("accounts.urls")),
    path("webauthn/", include("accounts.webauthn", namespace="otp_webauthn")),
    path("backoffice/experience/", include("experience.staff_urls")),
    path("backoffice/", include("backoffice.urls")),
    path("experience/", include("experience.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
