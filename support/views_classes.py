"""The customer's classes page (browse upcoming classes, register, cancel, see their own) and
the in-app feedback page that the footer of every page links to. Both call the services in
support/classes.py and support/feedback.py, as the API does."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import classes, feedback
from .forms_classes import FeedbackForm

MY_FEEDBACK_SHOWN = 20
UPCOMING_SHOWN = 50


def class_list(request):
    """Upcoming classes for everyone; a logged-in customer also sees and manages theirs."""
    upcoming = list(classes.upcoming_classes()[:UPCOMING_SHOWN])
    mine = classes.registered_class_ids(request.user)
    for training_class in upcoming:
        training_class.left = classes.seats_left(training_class)
        training_class.is_mine = training_class.pk in mine
    registrations = (
        list(classes.registrations_of(request.user)[:UPCOMING_SHOWN])
        if request.user.is_authenticated
        else []
    )
    return render(
        request,
        "support/classes.html",
        {"classes": upcoming, "registrations": registrations, "now": timezone.now()},
    )


def _act(request, action, pk: int, done: str):
    try:
        action(customer=request.user, class_id=pk)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, done)
    return redirect("classes:list")


@login_required
@require_POST
def class_register(request, pk: int):
    return _act(request, classes.class_register, pk, _("You are registered. See you there!"))


@login_required
@require_POST
def class_cancel(request, pk: int):
    return _act(
        request, classes.class_registration_cancel, pk, _("Your registration is cancelled.")
    )


@login_required
@require_http_methods(["GET", "POST"])
def feedback_page(request):
    if request.method == "POST":
        form = FeedbackForm(request.POST)
        if form.is_valid():
            values = form.cleaned_data
            try:
                feedback.feedback_create(
                    customer=request.user,
                    kind=values["kind"],
                    text=values["text"],
                    rating=values["rating"],
                    page=values["page"],
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Thank you for your feedback."))
                back = feedback.page_path_of(values["page"])
                return redirect(back or "feedback:new")
    else:
        form = FeedbackForm(initial={"page": feedback.page_path_of(request.GET.get("from"))})
    mine = list(feedback.feedback_of(request.user)[:MY_FEEDBACK_SHOWN])
    return render(request, "support/feedback.html", {"form": form, "mine": mine})
