"""Onboarding at the counter: the teller's list of drafts, the step pages and the document
images. The pages call backoffice/onboarding.py; nothing here writes a model."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.masking import name_masked, phone_masked
from config.api_errors import ApplicationError, form_errors_from
from config.qr import qr_svg

from . import onboarding as services
from .forms import (
    OnboardingCodeForm,
    OnboardingConsentForm,
    OnboardingIdentityForm,
    OnboardingPhoneForm,
)
from .models import Onboarding
from .selectors import is_teller
from .views import staff_required

# The setup link's token is never stored: it is kept in the session just long enough for the
# page after the POST to show it once.
SETUP_TOKEN_KEY = "backoffice_setup_tokens"  # noqa: S105  (a session key, not a secret)


def _require_onboarder(request):
    if not services.can_onboard(request.user):
        raise PermissionDenied


@staff_required
def onboarding_list(request):
    _require_onboarder(request)
    drafts = list(services.drafts_of(request.user).order_by("-updated_at", "-pk")[:50])
    for draft in drafts:
        draft.masked_name = name_masked(draft.full_name)
        draft.masked_phone = phone_masked(draft.phone)
    return render(request, "backoffice/onboarding_list.html", {"drafts": drafts})


@staff_required
@require_POST
def onboarding_start(request):
    _require_onboarder(request)
    onboarding = services.onboarding_start(actor=request.user, request=request)
    return redirect("backoffice:onboarding", pk=onboarding.pk)


def _setup_url(request):
    return lambda token: request.build_absolute_uri(reverse("accounts:setup", args=[token]))


def _keep_token(request, pk: int, token: str) -> None:
    tokens = request.session.get(SETUP_TOKEN_KEY, {})
    tokens[str(pk)] = token
    request.session[SETUP_TOKEN_KEY] = tokens


def _take_token(request, pk: int) -> str | None:
    tokens = request.session.get(SETUP_TOKEN_KEY, {})
    token = tokens.pop(str(pk), None)
    if token is not None:
        request.session[SETUP_TOKEN_KEY] = tokens
    return token


class _Forms:
    """The forms of the step pages, bound only to the action that was posted."""

    def __init__(self, request, onboarding: Onboarding, action: str | None):
        data = request.POST if request.method == "POST" else None
        files = request.FILES if request.method == "POST" else None
        self.phone = OnboardingPhoneForm(
            data if action == "send_code" else None, initial={"phone": onboarding.phone}
        )
        self.code = OnboardingCodeForm(data if action == "confirm_code" else None)
        self.identity = OnboardingIdentityForm(
            data if action == "identity" else None,
            files if action == "identity" else None,
            initial={
                "full_name": onboarding.full_name,
                "email": onboarding.email,
                "document_type": onboarding.document_type,
                "document_number": onboarding.document_number,
                "date_of_birth": onboarding.date_of_birth,
                "address": onboarding.address,
            },
        )
        self.consent = OnboardingConsentForm(data if action == "consent" else None)


def _act(request, onboarding: Onboarding, action: str, forms: _Forms):
    """Run the posted step; the redirect on success, or None to show the page with errors.
    Raises ApplicationError (shown on the form) or ExistingCustomerFound."""
    actor = request.user
    if action == "send_code" and forms.phone.is_valid():
        services.onboarding_phone_send(
            actor=actor,
            onboarding=onboarding,
            phone=forms.phone.cleaned_data["phone"],
            request=request,
        )
        messages.success(request, _("A code was sent by SMS. Ask the customer to read it out."))
    elif action == "confirm_code" and forms.code.is_valid():
        services.onboarding_phone_confirm(
            actor=actor,
            onboarding=onboarding,
            code=forms.code.cleaned_data["code"],
            request=request,
        )
        messages.success(request, _("The phone number is verified."))
    elif action == "identity" and forms.identity.is_valid():
        data = forms.identity.cleaned_data
        services.onboarding_identity_save(
            actor=actor,
            onboarding=onboarding,
            data=services.IdentityInput(
                full_name=data["full_name"],
                email=data["email"],
                document_type=data["document_type"],
                document_number=data["document_number"],
                date_of_birth=data["date_of_birth"],
                address=data["address"],
            ),
            document_front=data.get("document_front") or None,
            document_back=data.get("document_back") or None,
            request=request,
        )
    elif action == "consent" and forms.consent.is_valid():
        services.onboarding_consent_accept(
            actor=actor,
            onboarding=onboarding,
            accepted=forms.consent.cleaned_data["accept"],
            request=request,
        )
    elif action == "complete":
        done, token = services.onboarding_complete(
            actor=actor, onboarding=onboarding, url_of=_setup_url(request), request=request
        )
        _keep_token(request, done.pk, token)
        messages.success(request, _("The customer is onboarded and their wallet is active."))
    elif action == "resend_link":
        token = services.onboarding_setup_link_resend(
            actor=actor, onboarding=onboarding, url_of=_setup_url(request), request=request
        )
        _keep_token(request, onboarding.pk, token)
        messages.success(request, _("A new setup link was sent. The earlier one no longer works."))
    else:
        return None
    return redirect("backoffice:onboarding", pk=onboarding.pk)


_ACTION_FORM = {
    "send_code": "phone",
    "confirm_code": "code",
    "identity": "identity",
    "consent": "consent",
}


@staff_required
@require_http_methods(["GET", "POST"])
def onboarding_detail(request, pk: int):
    _require_onboarder(request)
    onboarding = services.onboarding_for(actor=request.user, pk=pk)
    action = request.POST.get("action") if request.method == "POST" else None
    forms = _Forms(request, onboarding, action)
    existing = None
    if action:
        try:
            response = _act(request, onboarding, action, forms)
        except services.ExistingCustomerFound as found:
            existing = found.existing
        except ApplicationError as error:
            form = getattr(forms, _ACTION_FORM.get(action, "consent"))
            form_errors_from(form, error)
            if action == "resend_link":
                messages.error(request, str(error.detail))
        else:
            if response is not None:
                return response
        onboarding.refresh_from_db()
    token = _take_token(request, onboarding.pk) if onboarding.is_done else None
    setup_url = _setup_url(request)(token) if token else ""
    return render(
        request,
        "backoffice/onboarding.html",
        {
            "onboarding": onboarding,
            "steps": _steps(onboarding),
            "forms": forms,
            "existing": existing,
            "phone_masked": phone_masked(onboarding.phone),
            "code_pending": bool(onboarding.phone_code_hash) and not onboarding.phone_verified_at,
            "setup_url": setup_url,
            "setup_qr": qr_svg(setup_url) if setup_url else "",
            "terms_version": settings.TERMS_VERSION,
            "privacy_version": settings.PRIVACY_VERSION,
            "can_cash": is_teller(request.user),
        },
    )


def _steps(onboarding: Onboarding) -> list[dict]:
    current = onboarding.step_index()
    labels = dict(Onboarding.Step.choices)
    return [
        {"label": labels[step], "done": i < current, "current": i == current}
        for i, step in enumerate(Onboarding.STEP_ORDER)
    ]


@staff_required
def onboarding_document(request, pk: int, side: str):
    """A document image, streamed to staff who may see the draft (or, once done, the customer);
    never cached."""
    handle = services.document_image_open(actor=request.user, pk=pk, side=side, request=request)
    extension = handle.name.rsplit(".", 1)[-1].lower()
    content_type = {
        "jpg": "image/jpeg",
        "png": "image/png",
        "webp": "image/webp",
        "heic": "image/heic",
    }.get(extension, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    return response
