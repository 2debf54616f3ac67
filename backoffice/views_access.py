"""Reveal of a masked field and break-glass access (see reveal.py and break_glass.py)."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import break_glass
from .forms_access import BreakGlassForm, BreakGlassReviewForm, RevealForm
from .reveal import REVEALABLE, customer_field_reveal, reveal_fresh
from .views import staff_required

REVIEW_PAGE_SIZE = 50


@staff_required
@require_POST
def customer_reveal(request, pk: int):
    """Answers with the customer view's reveal box for one field (a fragment under htmx, a page
    otherwise): the value in full, or the error and the code field again."""
    form = RevealForm(request.POST)
    field = request.POST.get("field", "")
    code = request.POST.get("code", "")
    if form.is_valid():
        field, code = form.cleaned_data["field"], form.cleaned_data["code"]
    result = customer_field_reveal(
        actor=request.user, pk=pk, field=field, code=code, request=request
    )
    context = {
        "pk": pk,
        "result": result,
        "label": REVEALABLE.get(result.field, result.field),
        "fresh": reveal_fresh(request),
    }
    template = "backoffice/reveal_box.html" if request.htmx else "backoffice/reveal_page.html"
    return render(request, template, context, status=200 if result.ok else 400)


@staff_required
@require_http_methods(["GET", "POST"])
def break_glass_new(request):
    if not break_glass.can_break_glass(request.user):
        raise PermissionDenied
    form = BreakGlassForm(
        request.POST or None, initial={"customer": request.GET.get("customer", "")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            grant = break_glass.break_glass_request(
                actor=request.user,
                identifier=form.cleaned_data["customer"],
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.warning(
                request,
                _(
                    "Break-glass access granted until %(time)s. Your branch manager has been "
                    "told and a risk officer will review it."
                )
                % {"time": timezone.localtime(grant.expires_at).strftime("%H:%M")},
            )
            return redirect("backoffice:customer_view", pk=grant.customer_id)
    hours = settings.BACKOFFICE_BREAK_GLASS_SECONDS // 3600 or 1
    return render(request, "backoffice/break_glass_new.html", {"form": form, "hours": hours})


@staff_required
def break_glass_list(request):
    if not break_glass.can_review_break_glass(request.user):
        raise PermissionDenied
    pending = Paginator(break_glass.break_glass_pending_review(), REVIEW_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    reviewed = list(break_glass.break_glass_reviewed_recently()[:20])
    return render(
        request,
        "backoffice/break_glass_list.html",
        {"pending": pending, "reviewed": reviewed, "form": BreakGlassReviewForm()},
    )


@staff_required
@require_POST
def break_glass_review(request, pk: int):
    if not break_glass.can_review_break_glass(request.user):
        raise PermissionDenied
    form = BreakGlassReviewForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    break_glass.break_glass_review(actor=request.user, pk=pk, note=note, request=request)
    messages.success(request, _("Marked as reviewed."))
    return redirect("backoffice:break_glass_list")
