from django.urls import path

from . import api

urlpatterns = [
    path("rewards/", api.RewardListApi.as_view(), name="rewards"),
    path("vouchers/", api.VoucherListApi.as_view(), name="vouchers"),
]
