from django.urls import path

from . import api

urlpatterns = [
    path("rewards/", api.RewardListApi.as_view(), name="rewards"),
    path("vouchers/", api.VoucherListApi.as_view(), name="vouchers"),
    # --- referrals and points (issue 5) ---
    path("rewards/points/redeem/", api.PointsRedeemApi.as_view(), name="points-redeem"),
    path("rewards/points/vouchers/", api.PointsVoucherApi.as_view(), name="points-vouchers"),
    path("referrals/", api.ReferralApi.as_view(), name="referrals"),
    path("offers/", api.OfferListApi.as_view(), name="offers"),
]
