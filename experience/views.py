"""Pages of experience mode.

How the device switches (a decision, see README "Experience mode"): the staff member starts a
demo from the staff portal with a POST; that logs the staff member out of this browser (their
portal session is flushed, second-factor verification included) and sets a signed cookie,
scoped to /experience/, that names the demo session by a random token. The sandbox pages need
no login and show nothing but the demo: the person trying the wallet holds the device without a
staff session behind it, so no staff page or customer data is one click or one URL away. After
15 minutes (or with no cookie) every sandbox page shows "this demo has ended" with a button for
staff to log in again and start a new one.
"""

import uuid
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import logout
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api_errors import ApplicationError, form_errors_from
from config.qr import qr_svg

from . import services
from .catalog import MERCHANTS, counterparty_name
from .forms import PayForm, TopUpForm, TransferForm
from .models import ExperienceEntry
from .roles import can_start_experience
from .selectors import COOKIE_NAME, COOKIE_PATH, COOKIE_SALT, history_of, session_of

staff_required = staff_member_required(login_url="account_login")
RECENT_ROWS = 5


# --- the staff side ------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def staff_start(request):
    if not can_start_experience(request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            session = services.experience_start(staff=request.user, request=request)
        except ApplicationError as error:
            messages.error(request, str(error.detail))
            return redirect("experience_staff:start")
        logout(request)
        response = redirect("experience:home")
        response.set_signed_cookie(
            COOKIE_NAME,
            session.token,
            salt=COOKIE_SALT,
            max_age=settings.EXPERIENCE_SESSION_SECONDS + 3600,
            path=COOKIE_PATH,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
        return response
    samples = [(sample, qr_svg(sample.qr_payload, box_size=5)) for sample in MERCHANTS.values()]
    return render(
        request,
        "experience/staff_start.html",
        {"samples": samples, "minutes": settings.EXPERIENCE_SESSION_SECONDS // 60},
    )


# --- the sandbox ---------------------------------------------------------------------------


def _ended(request):
    return render(
        request,
        "experience/ended.html",
        {"minutes": settings.EXPERIENCE_SESSION_SECONDS // 60},
    )


def sandbox(view):
    """The device's unexpired demo session as `request.experience`, else the "ended" page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        session = session_of(request)
        if session is None or session.is_expired():
            return _ended(request)
        request.experience = session
        return view(request, *args, **kwargs)

    return wrapped


def _render(request, template, context=None):
    return render(request, template, {"demo": request.experience, **(context or {})})


def _rows(entries):
    return [(entry, counterparty_name(entry.kind, entry.counterparty)) for entry in entries]


@sandbox
def home(request):
    recent = list(history_of(request.experience)[:RECENT_ROWS])
    return _render(request, "experience/home.html", {"recent": _rows(recent)})


def _keyed(form_class, request, **initial):
    if request.method == "POST":
        return form_class(request.POST)
    return form_class(initial={"idempotency_key": uuid.uuid4().hex, **initial})


def _done(request, entry: ExperienceEntry):
    return redirect("experience:receipt", pk=entry.pk)


@sandbox
@require_http_methods(["GET", "POST"])
def pay(request):
    chosen = MERCHANTS.get(request.GET.get("m", ""))
    form = _keyed(PayForm, request, merchant=chosen.code if chosen else "")
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.experience_pay(session=request.experience, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return _done(request, entry)
    return _render(
        request,
        "experience/pay.html",
        {"form": form, "merchants": MERCHANTS.values(), "chosen": chosen},
    )


@sandbox
@require_http_methods(["GET", "POST"])
def transfer(request):
    form = _keyed(TransferForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.experience_transfer(session=request.experience, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return _done(request, entry)
    return _render(request, "experience/transfer.html", {"form": form})


@sandbox
@require_http_methods(["GET", "POST"])
def top_up(request):
    form = _keyed(TopUpForm, request)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.experience_top_up(session=request.experience, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return _done(request, entry)
    return _render(
        request,
        "experience/top_up.html",
        {"form": form, "maximum": settings.EXPERIENCE_MAX_BALANCE},
    )


@sandbox
def history(request):
    return _render(
        request, "experience/history.html", {"rows": _rows(history_of(request.experience))}
    )


@sandbox
def receipt(request, pk: int):
    entry = request.experience.entries.filter(pk=pk).first()
    if entry is None:
        raise Http404
    return _render(
        request,
        "experience/receipt.html",
        {"entry": entry, "counterparty": counterparty_name(entry.kind, entry.counterparty)},
    )


@sandbox
def rewards(request):
    return _render(request, "experience/rewards.html")


@sandbox
def security(request):
    return _render(request, "experience/security.html")


@sandbox
@require_POST
def reset(request):
    try:
        services.experience_reset(session=request.experience)
    except ApplicationError:
        return _ended(request)
    messages.success(request, _("The demo starts again: demo money and history are reset."))
    return redirect("experience:home")
