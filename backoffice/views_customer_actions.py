"""Pages of the customer view's further actions: a new setup link shown as a QR code, and asking
for a temporary limit override. They call backoffice/customer_actions.py and the approvals."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.masking import display_name_masked
from config.api_errors import ApplicationError, form_errors_from
from config.qr import qr_svg
from wallet import services as wallet_services

from . import approvals, customer_actions, services
from .approvals import MAKER_ROLES
from .forms import LimitOverrideForm
from .models import ApprovalRequest
from .onboarding_views import _setup_url
from .selectors import staff_roles
from .views import staff_required

# The new link's token lives in the session only until the page after the POST shows it once.
CUSTOMER_SETUP_TOKEN_KEY = "backoffice_customer_setup_tokens"  # noqa: S105  (a session key)


def _require_role(request, roles) -> None:
    if not set(staff_roles(request.user)) & set(roles):
        raise PermissionDenied


@staff_required
@require_http_methods(["GET", "POST"])
def customer_setup_link(request, pk: int):
    """Send the customer a new setup link (the earlier ones stop working) and show it as a QR
    code, once. Only their branch's tellers and managers; not once they set a password."""
    customer = services.customer_view_check(actor=request.user, pk=pk, request=request)
    _require_role(request, customer_actions.SETUP_LINK_ROLES)
    tokens = request.session.get(CUSTOMER_SETUP_TOKEN_KEY, {})
    if request.method == "POST":
        try:
            token = customer_actions.setup_link_resend_by_staff(
                actor=request.user, customer_id=pk, url_of=_setup_url(request), request=request
            )
        except ApplicationError as error:
            messages.error(request, str(error.detail))
        else:
            tokens[str(pk)] = token
            request.session[CUSTOMER_SETUP_TOKEN_KEY] = tokens
            messages.success(
                request, _("A new setup link was sent. The earlier one no longer works.")
            )
        return redirect("backoffice:customer_setup_link", pk=pk)
    token = tokens.pop(str(pk), None)
    if token is not None:
        request.session[CUSTOMER_SETUP_TOKEN_KEY] = tokens
    setup_url = _setup_url(request)(token) if token else ""
    return render(
        request,
        "backoffice/customer_setup_link.html",
        {
            "customer": customer,
            "customer_masked": display_name_masked(customer),
            "password_set": customer.has_usable_password(),
            "setup_url": setup_url,
            "setup_qr": qr_svg(setup_url) if setup_url else "",
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def customer_limit_override(request, pk: int):
    """Ask a second staff member for a temporary higher per-payment and daily limit."""
    customer = services.customer_view_check(actor=request.user, pk=pk, request=request)
    _require_role(request, MAKER_ROLES)
    form = LimitOverrideForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                approval = approvals.approval_request_create(
                    actor=request.user,
                    customer_id=pk,
                    action=ApprovalRequest.Action.LIMIT_OVERRIDE,
                    reason=data["reason"],
                    parameters={
                        "per_transaction": str(data["per_transaction"]),
                        "daily": str(data["daily"]),
                        "days": data["days"],
                    },
                    request=request,
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    _("Request #%(id)d is waiting for a second staff member's approval.")
                    % {"id": approval.pk},
                )
                return redirect("backoffice:approval_detail", pk=approval.pk)
        status = 400
    return render(
        request,
        "backoffice/customer_limit_override.html",
        {
            "form": form,
            "customer": customer,
            "customer_masked": display_name_masked(customer),
            "level_limits": wallet_services.level_limits_for(customer),
            "live_override": wallet_services.limit_override_live(customer),
        },
        status=status,
    )
