"""The accounts app's /api/v1/ paths for identity verification (KYC)."""

from django.urls import path

from . import api

urlpatterns = [
    path("kyc/", api.KycApi.as_view(), name="kyc"),
    path("kyc/phone/", api.KycPhoneApi.as_view(), name="kyc-phone"),
    path("kyc/phone/confirm/", api.KycPhoneConfirmApi.as_view(), name="kyc-phone-confirm"),
    path("kyc/identity/", api.KycIdentityApi.as_view(), name="kyc-identity"),
]
