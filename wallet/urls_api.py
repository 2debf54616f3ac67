from django.urls import path

from . import api

urlpatterns = [
    path("wallets/", api.WalletListApi.as_view(), name="wallets"),
    path("wallets/activate/", api.WalletActivateApi.as_view(), name="wallet-activate"),
    path("transfers/", api.TransferCreateApi.as_view(), name="transfers"),
    path("payments/", api.PaymentCreateApi.as_view(), name="payments"),
    path("transactions/", api.TransactionListApi.as_view(), name="transactions"),
]
