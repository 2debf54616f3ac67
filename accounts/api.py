"""Identity endpoints of the API: a token for the app, who am I, and identity verification."""

from django.conf import settings
from django.contrib.auth import authenticate, logout
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import (
    NO_CSRF,
    NOT_JSON,
    NOT_LOGGED_IN,
    READ_ERRORS,
    WRITE_ERRORS,
    ApplicationError,
    ErrorSerializer,
)

from . import kyc
from .closure import account_close
from .data_export import data_export_create
from .lockout import lockout_response
from .masking import phone_masked
from .selectors import has_second_factor, identity_document_of, kyc_limits_by_level
from .serializers import (
    AccountClosedSerializer,
    AccountCloseInputSerializer,
    DataExportSerializer,
    IdentityInputSerializer,
    KycSerializer,
    MeSerializer,
    PhoneConfirmSerializer,
    PhoneStartedSerializer,
    PhoneStartSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from .services import device_login_record, second_factor_check
from .sms_otp import sms_code_send, sms_device_of


class TokenObtainApi(APIView):
    """Exchange email, password and (when the user has a second factor) a code for a token."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenResponseSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="Invalid input, wrong email or password, or a missing or wrong otp.",
            ),
            403: OpenApiResponse(
                ErrorSerializer, description="Locked out after too many failures: `locked_out`."
            ),
            415: NOT_JSON,
            429: OpenApiResponse(
                ErrorSerializer, description="Too many token requests from this address."
            ),
        },
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        django_request = request._request  # axes marks lockouts on the Django request
        user = authenticate(
            django_request,
            email=data.validated_data["email"].lower(),
            password=data.validated_data["password"],
        )
        if getattr(django_request, "axes_locked_out", False):
            return lockout_response(django_request)
        if user is None:
            raise ApplicationError(
                _("Email or password is not correct."), code="invalid_credentials"
            )
        if has_second_factor(user):
            otp = data.validated_data.get("otp", "")
            if not otp:
                sms_device = sms_device_of(user)
                if sms_device is not None:
                    # Codes by SMS: the right password alone sends one (at most a few per
                    # 10 minutes), and the app asks again with it.
                    sms_code_send(device=sms_device)
                    raise ApplicationError(
                        _("We sent a code by SMS: send it as otp."),
                        code="otp_required",
                        fields={"otp": [_("This field is required.")]},
                    )
                raise ApplicationError(
                    _("This account has a second factor: send the code as otp."),
                    code="otp_required",
                    fields={"otp": [_("This field is required.")]},
                )
            if second_factor_check(user=user, token=otp, request=django_request) is None:
                if getattr(django_request, "axes_locked_out", False):
                    return lockout_response(django_request)
                raise ApplicationError(
                    _("That code is not valid."),
                    code="otp_invalid",
                    fields={"otp": [_("That code is not valid.")]},
                )
        device_login_record(
            user=user,
            device_token=request.headers.get("X-Device-Id"),
            ip_address=request.META.get("REMOTE_ADDR"),
            user_agent=request.headers.get("User-Agent", ""),
        )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key}, status=status.HTTP_200_OK)


class MeApi(APIView):
    @extend_schema(
        responses={
            200: MeSerializer,
            401: OpenApiResponse(
                ErrorSerializer, description="No credentials, or a token that is not valid."
            ),
        }
    )
    def get(self, request):
        user = request.user
        return Response(
            MeSerializer(
                {
                    "email": user.email,
                    "full_name": user.full_name,
                    "phone": user.phone,
                    "language": get_language(),
                    "has_second_factor": has_second_factor(user),
                }
            ).data
        )


def _client(request) -> dict:
    return {
        "ip_address": request.META.get("REMOTE_ADDR"),
        "user_agent": request.headers.get("User-Agent", ""),
    }


class DataExportApi(APIView):
    """The caller's own data, the same document as the privacy page's download."""

    @extend_schema(
        responses={
            200: OpenApiResponse(
                DataExportSerializer,
                description=(
                    "Everything kept about the caller, by section (profile, consents, "
                    "security_events, known_devices, second_factors, notifications, wallet). "
                    "Amounts are strings, times ISO 8601. Recorded in the security history."
                ),
            ),
            **READ_ERRORS,
        }
    )
    def get(self, request):
        document = data_export_create(user=request.user, **_client(request))
        return Response(document, headers={"Cache-Control": "no-store"})


class AccountCloseApi(APIView):
    """Close the caller's account: the wallet closes, the user can no longer log in."""

    @extend_schema(
        request=AccountCloseInputSerializer,
        responses={
            200: AccountClosedSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description=(
                    "`wrong_password` (see `errors.password`), `closure_blocked` with every "
                    "reason in `errors.account` (a balance left, a payment still pending), or "
                    "invalid input."
                ),
            ),
            401: NOT_LOGGED_IN,
            403: NO_CSRF,
            415: NOT_JSON,
        },
    )
    def post(self, request):
        data = AccountCloseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account_close(
            user=request.user,
            password=data.validated_data["password"],
            request=request._request,
            **_client(request),
        )
        if request.auth is None:  # a browser session: end it (a token is already deleted)
            logout(request._request)
        return Response({"status": "closed"})


# --- identity verification (KYC) ------------------------------------------------------------

CODE_THROTTLED = OpenApiResponse(
    ErrorSerializer,
    description=(
        "A code was sent less than a minute ago (`code_resend_too_soon`), or too many codes "
        "were asked for in the last hour (`code_too_many`)."
    ),
)


def kyc_payload(user) -> dict:
    document = identity_document_of(user)
    return {
        "level": user.kyc_level,
        "level_label": user.get_kyc_level_display(),
        "phone": phone_masked(user.phone) if user.phone_verified else None,
        "phone_verified": user.phone_verified,
        "document": {
            "document_type": document.document_type,
            "number_masked": document.number_masked,
            "recorded_at": document.recorded_at,
            "verified_at": document.verified_at,
        }
        if document
        else None,
        "limits": [
            {
                "level": row.level,
                "label": row.label,
                "currency": "CNY",
                "per_transaction": row.per_transaction,
                "daily": row.daily,
                "monthly": row.monthly,
            }
            for row in kyc_limits_by_level()
        ],
    }


class KycApi(APIView):
    """The customer's verification level, what they verified, and each level's limits (CNY)."""

    @extend_schema(responses={200: KycSerializer, **READ_ERRORS})
    def get(self, request):
        return Response(KycSerializer(kyc_payload(request.user)).data)


class KycPhoneApi(APIView):
    """Send a 6-digit code by SMS to the number the customer wants to verify."""

    @extend_schema(
        request=PhoneStartSerializer,
        responses={202: PhoneStartedSerializer, **WRITE_ERRORS, 429: CODE_THROTTLED},
    )
    def post(self, request):
        data = PhoneStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verification = kyc.phone_verification_start(
            user=request.user, phone=data.validated_data["phone"]
        )
        payload = {
            "detail": _("We sent a code by SMS."),
            "phone": phone_masked(verification.phone),
            "expires_at": verification.expires_at,
            "resend_after_seconds": settings.KYC_PHONE_CODE_RESEND_SECONDS,
        }
        return Response(PhoneStartedSerializer(payload).data, status=status.HTTP_202_ACCEPTED)


class KycPhoneConfirmApi(APIView):
    """The code from the SMS: the number becomes the customer's verified phone."""

    @extend_schema(request=PhoneConfirmSerializer, responses={200: KycSerializer, **WRITE_ERRORS})
    def post(self, request):
        data = PhoneConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = kyc.phone_verification_confirm(user=request.user, code=data.validated_data["code"])
        return Response(KycSerializer(kyc_payload(user)).data)


class KycIdentityApi(APIView):
    """Record (or correct, until a branch checked it) the customer's identity document."""

    @extend_schema(request=IdentityInputSerializer, responses={200: KycSerializer, **WRITE_ERRORS})
    def post(self, request):
        data = IdentityInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kyc.identity_document_record(user=request.user, **data.validated_data)
        return Response(KycSerializer(kyc_payload(request.user)).data)
