"""Identity pages of our own: the second-factor step of login, the security settings and
identity verification (KYC)."""

# allauth.account.stages must not be the first allauth module imported (a circular import).
from allauth.account.internal import flows  # noqa: F401, I001
import json

from allauth.account.stages import LoginStageController
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from config.api_errors import ApplicationError, form_errors_from

from . import kyc, services, sms_otp
from .closure import account_close, account_closure_check
from .consent import consents_record, current_consents
from .data_export import data_export_create
from .forms import (
    AccountCloseForm,
    IdentityDocumentForm,
    MarketingConsentForm,
    PhoneCodeForm,
    PhoneVerificationForm,
    SecondFactorForm,
    TOTPConfirmForm,
)
from .models import Consent, SecurityEvent, SMSDevice
from .masking import phone_masked
from .selectors import (
    backup_codes_left,
    has_second_factor,
    identity_document_of,
    kyc_limits_by_level,
    phone_verification_pending,
)
from .stages import SecondFactorStage


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def second_factor(request):
    """Login's last step, or re-verification of a logged-in session that has not passed it."""
    stage = None
    if request.user.is_authenticated:
        if request.user.is_verified() or not has_second_factor(request.user):
            return redirect(_safe_next(request, reverse("dashboard")))
        user = request.user
    else:
        stage = LoginStageController.enter(request, SecondFactorStage.key)
        if stage is None:
            return redirect("account_login")
        user = stage.login.user

    sms_device = sms_otp.sms_device_of(user)
    if request.method == "POST" and request.POST.get("action") == "send_sms":
        return _second_factor_sms_sent(request, user, sms_device)
    form = SecondFactorForm(request.POST or None, user=user, request=request)
    if request.method == "POST" and form.is_valid():
        response = stage.exit() if stage else redirect(_safe_next(request, reverse("dashboard")))
        if request.user.is_authenticated and request.user.pk == user.pk:
            otp_login(request, form.device)
        if isinstance(form.device, StaticDevice):
            left = backup_codes_left(user)
            messages.warning(
                request,
                _("You used a backup code. %(left)d backup codes are left.") % {"left": left},
            )
        return response
    has_passkey = WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()
    return render(
        request,
        "account/second_factor.html",
        {
            "form": form,
            "has_passkey": has_passkey,
            "has_sms": sms_device is not None,
            "next": _safe_next(request, ""),
        },
    )


def _second_factor_sms_sent(request, user, sms_device):
    """ "Send me a code": a code by SMS, then the same page to type it in."""
    if sms_device is None:
        raise Http404
    form = SecondFactorForm(user=user, request=request)
    try:
        sms_otp.sms_code_send(device=sms_device)
    except ApplicationError as error:
        form.add_error(None, str(error.detail))
    else:
        messages.success(
            request,
            _("We sent a code to %(phone)s. It is valid for 5 minutes.")
            % {"phone": phone_masked(sms_device.phone)},
        )
    return render(
        request,
        "account/second_factor.html",
        {"form": form, "has_passkey": False, "has_sms": True, "next": _safe_next(request, "")},
    )


def _second_factor_first(request, next_url: str):
    """A session that has not passed its second factor must do so before this page."""
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('account_second_factor')}?next={next_url}")
    return None


def _client(request) -> dict:
    return {
        "ip_address": request.META.get("REMOTE_ADDR"),
        "user_agent": request.headers.get("User-Agent", ""),
    }


RECENT_SECURITY_EVENTS = 10


@login_required
def security(request):
    devices = list(devices_for_user(request.user, confirmed=True))
    return render(
        request,
        "account/security.html",
        {
            "totp_devices": [d for d in devices if isinstance(d, TOTPDevice)],
            "passkeys": [d for d in devices if isinstance(d, WebAuthnCredential)],
            "sms_devices": [d for d in devices if isinstance(d, SMSDevice)],
            "backup_codes_left": backup_codes_left(request.user),
            "has_second_factor": has_second_factor(request.user),
            "events": SecurityEvent.objects.filter(user=request.user).order_by(
                "-created_at", "-id"
            )[:RECENT_SECURITY_EVENTS],
        },
    )


@login_required
def totp_setup(request):
    if has_second_factor(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('account_second_factor')}?next={request.path}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = services.totp_device_start(user=request.user)
    form = TOTPConfirmForm(request.POST or None, device=device)
    if request.method == "POST" and form.is_valid():
        otp_login(request, device)
        codes = services.backup_codes_generate(user=request.user)
        messages.success(request, _("Your authenticator app is set up."))
        return render(
            request,
            "account/backup_codes.html",
            {"codes": codes, "next": _safe_next(request, reverse("accounts:security"))},
        )
    return render(
        request,
        "account/totp_setup.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": services.totp_secret_base32(device),
            "next": _safe_next(request, ""),
        },
    )


@login_required
@require_POST
def backup_codes_regenerate(request):
    if not (has_second_factor(request.user) and request.user.is_verified()):
        messages.error(request, _("Set up an authenticator app or a passkey first."))
        return redirect("accounts:security")
    codes = services.backup_codes_generate(user=request.user)
    return render(
        request, "account/backup_codes.html", {"codes": codes, "next": reverse("accounts:security")}
    )


@login_required
@require_POST
def second_factor_remove(request, kind: str, pk: int):
    models = {"totp": TOTPDevice, "passkey": WebAuthnCredential, "sms": SMSDevice}
    if kind not in models:
        raise Http404
    device = models[kind].objects.filter(user=request.user, pk=pk).first()
    if device is None:
        raise Http404
    if not request.user.is_verified():
        return redirect(f"{reverse('account_second_factor')}?next={reverse('accounts:security')}")
    services.second_factor_remove(user=request.user, device=device)
    messages.success(request, _("The second factor was removed."))
    return redirect("accounts:security")


@login_required
def privacy(request):
    """What the customer agreed to and when, and their choice of offers (changeable any time)."""
    current = current_consents(request.user)
    form = MarketingConsentForm(
        request.POST if request.method == "POST" else None,  # all unticked is an empty POST
        initial={
            "marketing_email": current.get(Consent.Kind.MARKETING_EMAIL, False),
            "marketing_sms": current.get(Consent.Kind.MARKETING_SMS, False),
            "personalisation": current.get(Consent.Kind.PERSONALISATION, False),
        },
    )
    if request.method == "POST" and form.is_valid():
        consents_record(
            user=request.user,
            choices={
                Consent.Kind.MARKETING_EMAIL: form.cleaned_data["marketing_email"],
                Consent.Kind.MARKETING_SMS: form.cleaned_data["marketing_sms"],
                Consent.Kind.PERSONALISATION: form.cleaned_data["personalisation"],
            },
        )
        messages.success(request, _("Your choices are saved."))
        return redirect("accounts:privacy")
    history = Consent.objects.filter(user=request.user).order_by("-created_at", "-id")[:50]
    return render(request, "account/privacy.html", {"form": form, "history": history})


@login_required
@require_POST
def data_export(request):
    """The customer's own data as a JSON file (never anyone else's: it is always request.user)."""
    guard = _second_factor_first(request, reverse("accounts:privacy"))
    if guard:
        return guard
    document = data_export_create(user=request.user, **_client(request))
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    filename = f"my-data-{timezone.localdate():%Y%m%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
def account_close_page(request):
    """What stands in the way of closing, or the form that closes. A GET never changes anything."""
    guard = _second_factor_first(request, reverse("accounts:close"))
    if guard:
        return guard
    form = AccountCloseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account_close(
                user=request.user,
                password=form.cleaned_data["password"],
                request=request,
                **_client(request),
            )
        except ApplicationError as error:
            fields = dict(error.fields)
            for message in fields.pop("password", []):
                form.add_error("password", message)
            if not fields and not form.errors:
                form.add_error(None, str(error.detail))
        else:
            logout(request)
            return redirect("accounts:closed")
    blockers = account_closure_check(user=request.user)
    return render(
        request,
        "account/close.html",
        {
            "form": form,
            "blockers": blockers,
            "retention_years": settings.RECORDS_RETENTION_YEARS,
        },
    )


def account_closed(request):
    """The goodbye page after closing, shown logged out (so to anyone)."""
    return render(
        request, "account/closed.html", {"retention_years": settings.RECORDS_RETENTION_YEARS}
    )


def legal(request, document: str):
    if document not in ("terms", "privacy"):
        raise Http404
    version = settings.TERMS_VERSION if document == "terms" else settings.PRIVACY_VERSION
    return render(request, f"legal/{document}.html", {"version": version})


@login_required
def verification(request):
    """Identity verification: the current level, what each level allows, and the steps up."""
    user = request.user
    data = request.POST if request.method == "POST" else None
    action = data.get("action") if data is not None else None
    pending = phone_verification_pending(user)
    phone_form = PhoneVerificationForm(
        data if action == "phone" else None,
        initial={"phone": pending.phone if pending else (user.phone or "")},
    )
    code_form = PhoneCodeForm(data if action == "code" else None)
    identity_form = IdentityDocumentForm(data if action == "identity" else None)

    if action == "phone" and phone_form.is_valid():
        try:
            kyc.phone_verification_start(user=user, phone=phone_form.cleaned_data["phone"])
        except ApplicationError as error:
            form_errors_from(phone_form, error)
        else:
            messages.success(request, _("We sent a code by SMS. Enter it below."))
            return redirect("accounts:verification")
    elif action == "code" and code_form.is_valid():
        try:
            kyc.phone_verification_confirm(user=user, code=code_form.cleaned_data["code"])
        except ApplicationError as error:
            form_errors_from(code_form, error)
        else:
            messages.success(request, _("Your phone number is verified."))
            return redirect("accounts:verification")
    elif action == "identity" and identity_form.is_valid():
        try:
            kyc.identity_document_record(user=user, **identity_form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(identity_form, error)
        else:
            messages.success(request, _("Your identity document is recorded."))
            return redirect("accounts:verification")

    document = identity_document_of(user)
    return render(
        request,
        "account/verification.html",
        {
            "level": user.kyc_level,
            "level_label": user.get_kyc_level_display(),
            "levels": [
                {
                    "level": row.level,
                    "label": row.label,
                    # Grouped as the wallet shows money (12,345.60), whatever the language.
                    "per_transaction": f"{row.per_transaction:,.2f}",
                    "daily": f"{row.daily:,.2f}",
                    "monthly": f"{row.monthly:,.2f}",
                }
                for row in kyc_limits_by_level()
            ],
            "phone_verified": user.phone_verified,
            "phone_masked": phone_masked(user.phone) if user.phone_verified else "",
            "pending_phone_masked": phone_masked(pending.phone) if pending else "",
            "document": document,
            "phone_form": phone_form,
            "code_form": code_form,
            "identity_form": identity_form,
            "show_code_form": pending is not None or action == "code",
            "code_minutes": max(1, settings.KYC_PHONE_CODE_TTL_SECONDS // 60),
        },
    )
