"""What the customer does with a held payment: confirm "it was me" with the second factor,
on the transaction's page or through the API."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import WRITE_ERRORS, ApplicationError, ErrorSerializer

from . import services
from .models import RiskCase


class HeldConfirmForm(forms.Form):
    otp = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=gettext_lazy("From your authenticator app, or a backup code."),
    )


@login_required
@require_POST
def held_confirm(request, pk: int):
    if held_case_for(request.user, pk) is None:
        raise Http404
    form = HeldConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter your verification code."))
        return redirect("wallet:transaction", pk=pk)
    try:
        case = services.held_confirm_by_customer(
            user=request.user, transaction_id=pk, otp=form.cleaned_data["otp"], request=request
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        if case.status == RiskCase.Status.RELEASED:
            messages.success(request, _("Thank you. Your payment has been sent."))
        else:
            messages.success(
                request, _("Thank you. A risk officer will finish the review shortly.")
            )
    return redirect("wallet:transaction", pk=pk)


class HeldConfirmInputSerializer(serializers.Serializer):
    otp = serializers.CharField(max_length=16)


class HeldConfirmOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The held transaction.")
    status = serializers.ChoiceField(
        choices=["held", "completed"],
        help_text="`completed` when the confirmation released it, `held` while a risk officer "
        "still decides.",
    )


class HeldConfirmApi(APIView):
    """ "It was me": confirm a held payment with a second-factor code."""

    @extend_schema(
        request=HeldConfirmInputSerializer,
        responses={
            200: HeldConfirmOutputSerializer,
            **WRITE_ERRORS,
            404: OpenApiResponse(
                ErrorSerializer, description="No held payment of yours by this id."
            ),
        },
    )
    def post(self, request, pk: int):
        # Someone else's payment answers like a missing one, whatever the body.
        if held_case_for(request.user, pk) is None:
            raise services.case_not_yours()
        data = HeldConfirmInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.held_confirm_by_customer(
            user=request.user,
            transaction_id=pk,
            otp=data.validated_data["otp"],
            request=request._request,
        )
        released = case.status == RiskCase.Status.RELEASED
        return Response({"id": pk, "status": "completed" if released else "held"})


def held_case_for(user, transaction_id: int) -> RiskCase | None:
    return RiskCase.objects.filter(held_transaction_id=transaction_id, wallet__user=user).first()
