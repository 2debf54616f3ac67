from django.urls import path

from . import api, invoices_api
from .risk.customer import HeldConfirmApi

urlpatterns = [
    path("wallets/", api.WalletListApi.as_view(), name="wallets"),
    path("wallets/activate/", api.WalletActivateApi.as_view(), name="wallet-activate"),
    path("transfers/", api.TransferCreateApi.as_view(), name="transfers"),
    path("payments/", api.PaymentCreateApi.as_view(), name="payments"),
    path("payments/preview/", api.PaymentPreviewApi.as_view(), name="payments-preview"),
    path("payment-requests/", api.PaymentRequestListCreateApi.as_view(), name="payment-requests"),
    path(
        "payment-requests/<str:token>/",
        api.PaymentRequestDetailApi.as_view(),
        name="payment-request",
    ),
    path(
        "payment-requests/<str:token>/pay/",
        api.PaymentRequestPayApi.as_view(),
        name="payment-request-pay",
    ),
    path("bill-payments/", api.BillPaymentCreateApi.as_view(), name="bill-payments"),
    path("billers/", api.BillerListApi.as_view(), name="billers"),
    path("fx-rates/", api.FxRateListApi.as_view(), name="fx-rates"),
    path("exchanges/quotes/", api.FxQuoteCreateApi.as_view(), name="exchange-quotes"),
    path("exchanges/", api.ExchangeCreateApi.as_view(), name="exchanges"),
    path("step-up/<str:token>/verify/", api.StepUpVerifyApi.as_view(), name="step-up-verify"),
    path("transactions/", api.TransactionListApi.as_view(), name="transactions"),
    path(
        "transactions/<int:pk>/confirm/",
        HeldConfirmApi.as_view(),
        name="transaction-confirm",
    ),
    path("topups/", api.TopUpListCreateApi.as_view(), name="topups"),
    path("topups/<str:reference>/", api.TopUpDetailApi.as_view(), name="topup"),
    path("withdrawals/", api.WithdrawalListCreateApi.as_view(), name="withdrawals"),
    path("withdrawals/<str:reference>/", api.WithdrawalDetailApi.as_view(), name="withdrawal"),
    path(
        "invoice-titles/", invoices_api.InvoiceTitleListCreateApi.as_view(), name="invoice-titles"
    ),
    path(
        "invoice-titles/<int:pk>/",
        invoices_api.InvoiceTitleDetailApi.as_view(),
        name="invoice-title",
    ),
    path("invoices/", invoices_api.InvoiceListCreateApi.as_view(), name="invoices"),
    path("invoices/<int:pk>/", invoices_api.InvoiceDetailApi.as_view(), name="invoice"),
    path(
        "invoices/<int:pk>/red-letter/",
        invoices_api.InvoiceRedLetterApi.as_view(),
        name="invoice-red-letter",
    ),
    path("invoices/<int:pk>/retry/", invoices_api.InvoiceRetryApi.as_view(), name="invoice-retry"),
    path("invoices/<int:pk>/email/", invoices_api.InvoiceEmailApi.as_view(), name="invoice-email"),
    path("invoices/<int:pk>/pdf/", invoices_api.InvoicePdfApi.as_view(), name="invoice-pdf"),
]
