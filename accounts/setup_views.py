"""Pages of a customer onboarded at a branch: the setup link that sets their own password, the
choice of a second factor after it, and enrolling SMS codes as a second factor (also reachable
from the Security page)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_otp import login as otp_login

from config.api_errors import ApplicationError, form_errors_from

from . import services, setup_links, sms_otp
from .forms import PhoneCodeForm, SetupPasswordForm, SMSPhoneForm
from .masking import phone_masked
from .models import SMSDevice
from .selectors import has_second_factor

# A backend Django's login() names; the password was just set, so this is the one that fits.
LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def setup(request, token: str):
    """Open the link from the SMS or the counter's QR code, set a password, and go on."""
    try:
        link = setup_links.setup_link_valid(token)
    except ApplicationError as error:
        return render(request, "account/setup_invalid.html", {"message": error.detail}, status=404)
    form = SetupPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = setup_links.setup_link_use(token=token, password=form.cleaned_data["password1"])
        except ApplicationError as error:
            if error.get_codes() in ("unknown", "used", "voided", "expired"):
                return render(
                    request, "account/setup_invalid.html", {"message": error.detail}, status=404
                )
            form_errors_from(form, error)
        else:
            login(request, user, backend=LOGIN_BACKEND)
            messages.success(request, _("Your password is set."))
            return redirect("accounts:setup_second_factor")
    return render(
        request,
        "account/setup.html",
        {"form": form, "name": link.user.get_short_name()},
    )


@login_required
def setup_second_factor(request):
    """Right after the password: a second factor, by authenticator app or SMS codes."""
    if has_second_factor(request.user):
        return redirect("dashboard")
    return render(
        request,
        "account/setup_second_factor.html",
        {"phone": phone_masked(request.user.phone or "")},
    )


@login_required
def sms_setup(request):
    """Enrol SMS codes as a second factor: send a code to the phone, type it back."""
    user = request.user
    if has_second_factor(user) and not user.is_verified():
        return redirect(f"{reverse('account_second_factor')}?next={request.path}")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = reverse("accounts:security")
    pending = SMSDevice.objects.filter(user=user, confirmed=False).first()
    action = request.POST.get("action") if request.method == "POST" else None
    phone_form = SMSPhoneForm(
        request.POST if action == "send" else None, initial={"phone": user.phone or ""}
    )
    code_form = PhoneCodeForm(request.POST if action == "confirm" else None)
    if action == "send" and phone_form.is_valid():
        try:
            pending = sms_otp.sms_device_start(user=user, phone=phone_form.cleaned_data["phone"])
        except ApplicationError as error:
            form_errors_from(phone_form, error)
        else:
            messages.success(request, _("We sent a code by SMS. Enter it below."))
    elif action == "confirm" and code_form.is_valid():
        if pending is None:
            code_form.add_error("code", _("Ask for a code first: enter your phone number."))
        elif sms_otp.sms_device_confirm(device=pending, token=code_form.cleaned_data["code"]):
            otp_login(request, pending)
            codes = services.backup_codes_generate(user=user)
            messages.success(request, _("SMS codes are set up as your second factor."))
            return render(request, "account/backup_codes.html", {"codes": codes, "next": next_url})
        else:
            code_form.add_error(
                "code", _("That code is not correct or has expired. Ask for a new one.")
            )
    return render(
        request,
        "account/sms_setup.html",
        {
            "phone_form": phone_form,
            "code_form": code_form,
            "pending_phone": phone_masked(pending.phone) if pending else "",
            "next": next_url,
        },
    )
