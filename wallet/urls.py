from django.urls import path

from . import funding_views, invoices_views, views
from .risk.customer import held_confirm

app_name = "wallet"

urlpatterns = [
    path("activate/", views.activate, name="activate"),
    path("top-up/", funding_views.top_up, name="top_up"),
    path("withdraw/", funding_views.withdraw, name="withdraw"),
    path("funding/<str:reference>/", funding_views.funding_order, name="funding_order"),
    path("transfer/", views.transfer, name="transfer"),
    path("transfer/confirm/", views.transfer_confirm, name="transfer_confirm"),
    path("pay/", views.pay, name="pay"),
    path("pay/confirm/", views.pay_confirm, name="pay_confirm"),
    path("pay/m/<str:merchant_code>/", views.pay, name="merchant_pay"),
    path("pay/m/<str:merchant_code>/qr.svg", views.merchant_qr, name="merchant_qr"),
    path("bills/", views.bills, name="bills"),
    path("bills/confirm/", views.bill_confirm, name="bill_confirm"),
    path("exchange/", views.exchange, name="exchange"),
    path("exchange/confirm/", views.exchange_confirm, name="exchange_confirm"),
    path("receive/", views.receive, name="receive"),
    path("receive/<str:token>/", views.request_detail, name="request_detail"),
    path("receive/<str:token>/cancel/", views.request_cancel, name="request_cancel"),
    path("r/<str:token>/", views.request_pay, name="request_pay"),
    path("history/", views.history, name="history"),
    path("history.csv", views.history_csv, name="history_csv"),
    path("transactions/<int:pk>/", views.transaction_detail, name="transaction"),
    path("transactions/<int:pk>/confirm/", held_confirm, name="transaction_confirm"),
    path("transactions/<int:pk>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
    path("statements/", views.statements, name="statements"),
    path("cash-code/", views.cash_code, name="cash_code"),
    path("spending/", views.spending, name="spending"),
    path("statements/<int:year>-<int:month>.pdf", views.statement_pdf, name="statement_pdf"),
    path("transactions/<int:pk>/invoice/", invoices_views.invoice_request, name="invoice_request"),
    path("invoices/", invoices_views.invoice_list, name="invoices"),
    path("invoices/<int:pk>/", invoices_views.invoice_detail, name="invoice"),
    path("invoices/<int:pk>/invoice.pdf", invoices_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<int:pk>/email/", invoices_views.invoice_email, name="invoice_email"),
    path(
        "invoices/<int:pk>/red-letter/",
        invoices_views.invoice_red_letter,
        name="invoice_red_letter",
    ),
    path("invoices/<int:pk>/retry/", invoices_views.invoice_retry, name="invoice_retry"),
    path("invoice-titles/", invoices_views.titles, name="invoice_titles"),
    path("invoice-titles/new/", invoices_views.title_new, name="invoice_title_new"),
    path("invoice-titles/<int:pk>/", invoices_views.title_edit, name="invoice_title_edit"),
    path(
        "invoice-titles/<int:pk>/delete/",
        invoices_views.title_delete,
        name="invoice_title_delete",
    ),
]
