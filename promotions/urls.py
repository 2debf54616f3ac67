from django.urls import path

from . import views

app_name = "promotions"

urlpatterns = [
    path("", views.rewards, name="rewards"),
    path("offers/", views.offers, name="offers"),
    # --- referrals and points (issue 5) ---
    path("points/redeem/", views.points_redeem, name="points_redeem"),
    path("points/voucher/", views.points_voucher, name="points_voucher"),
    path("referral/", views.referral_enter, name="referral_enter"),
]
