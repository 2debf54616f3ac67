"""The customer's survey pages: the one-time CSAT/NPS link (no login needed: the token is the
credential), the same question answered from the inbox while logged in, and the surveys built
by the bank. A customer's own invitation only: another's answers 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from config.api_errors import ApplicationError, form_errors_from

from . import surveys
from .forms_surveys import ScoreForm, SurveyForm
from .models_surveys import Channel, SurveyInvitation

CLOSED_STATUS = {"unknown": 404, "expired": 410, "answered": 200}


def _closed_page(request, state: str):
    messages = {
        "unknown": _(
            "This survey link is not valid. Check that you opened the whole link from your message."
        ),
        "expired": _("This survey link has expired. Thank you all the same."),
        "answered": _("This survey has already been answered. Thank you!"),
    }
    return render(
        request,
        "support/survey_closed.html",
        {"message": messages[state], "state": state},
        status=CLOSED_STATUS[state],
    )


def _score_page(request, invitation: SurveyInvitation, form, action: str):
    return render(
        request,
        "support/survey_score.html",
        {"invitation": invitation, "form": form, "action": action},
    )


@never_cache
@require_http_methods(["GET", "POST"])
def answer_by_link(request, token: str):
    invitation = surveys.invitation_by_token_or_none(token)
    state = surveys.invitation_state(invitation)
    if state != "open":
        return _closed_page(request, state)
    # The inbox's link carries ?via=inbox (and the form posts back to the same URL).
    via_inbox = request.GET.get("via") == "inbox"
    form = ScoreForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_answer_by_token(
                token=token,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                channel=Channel.INBOX if via_inbox else Channel.LINK,
            )
        except ApplicationError as error:
            if error.get_codes() in ("survey_answered", "survey_expired", "survey_unknown"):
                state = surveys.invitation_state(surveys.invitation_by_token_or_none(token))
                return _closed_page(request, state)
            form_errors_from(form, error)
        else:
            return redirect("surveys:thanks")
    action = request.path + ("?via=inbox" if via_inbox else "")
    return _score_page(request, invitation, form, action)


def thanks(request):
    return render(request, "support/survey_thanks.html")


@login_required
def survey_list(request):
    return render(
        request,
        "support/surveys.html",
        {
            "invitations": list(surveys.pending_invitations_of(request.user)),
            "surveys": list(surveys.open_surveys_for(request.user)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def invitation_answer(request, pk: int):
    invitation = surveys.invitation_of_customer_or_none(customer=request.user, pk=pk)
    if invitation is None:
        raise Http404
    state = surveys.invitation_state(invitation)
    if state != "open":
        return _closed_page(request, state)
    form = ScoreForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_answer_by_customer(
                customer=request.user,
                invitation_pk=invitation.pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                channel=Channel.INBOX,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect("surveys:thanks")
    return _score_page(request, invitation, form, request.path)


@login_required
@require_http_methods(["GET", "POST"])
def survey_answer(request, pk: int):
    survey = surveys.open_survey_or_none(customer=request.user, pk=pk)
    if survey is None:
        raise Http404
    if survey.answered:
        return _closed_page(request, "answered")
    form = SurveyForm(request.POST or None, survey=survey)
    if request.method == "POST" and form.is_valid():
        try:
            surveys.survey_response_create(
                survey=survey,
                customer=request.user,
                answers=form.cleaned_data,
                channel=Channel.LINK,
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect("surveys:thanks")
    return render(request, "support/survey.html", {"survey": survey, "form": form})
