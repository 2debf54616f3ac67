"""`linked-accounts/` in the API: the customer's bank accounts and cards (never their numbers)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import READ_ERRORS, WRITE_ERRORS, ErrorSerializer, StrictCharField

from . import linking
from .models import Bank, LinkedAccount
from .selectors import linked_accounts_of

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such card or account of yours.")


class LinkedAccountSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LinkedAccount.Kind.choices)
    bank = serializers.ChoiceField(choices=Bank.choices)
    bank_name = serializers.CharField(source="get_bank_display")
    holder_name = serializers.CharField()
    last4 = serializers.CharField()
    expiry = serializers.CharField(help_text="MM/YY for cards, empty for bank accounts.")
    status = serializers.ChoiceField(choices=LinkedAccount.Status.choices)
    is_default = serializers.BooleanField()
    can_withdraw_to = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(allow_null=True)


class LinkedAccountInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LinkedAccount.Kind.choices)
    number = StrictCharField(
        max_length=40, help_text="The full card or account number; only the bank keeps it."
    )
    holder_name = StrictCharField(max_length=150)
    expiry = StrictCharField(
        required=False, allow_blank=True, default="", max_length=7, help_text="Cards: MM/YY."
    )
    bank = serializers.ChoiceField(
        choices=Bank.choices, required=False, default="", help_text="Bank accounts: the bank."
    )


class MicroDepositsInputSerializer(serializers.Serializer):
    amount_1 = StrictCharField(max_length=10, help_text="The first deposit, e.g. 0.12.")
    amount_2 = StrictCharField(max_length=10, help_text="The second deposit.")


def _own(request, pk) -> LinkedAccount:
    return get_object_or_404(linked_accounts_of(request.user), pk=pk)


def _answer(account: LinkedAccount, code=status.HTTP_200_OK) -> Response:
    return Response(LinkedAccountSerializer(account).data, status=code)


class LinkedAccountListCreateApi(APIView):
    @extend_schema(responses={200: LinkedAccountSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        accounts = linked_accounts_of(request.user)
        return Response(LinkedAccountSerializer(accounts, many=True).data)

    @extend_schema(
        request=LinkedAccountInputSerializer,
        responses={201: LinkedAccountSerializer, **WRITE_ERRORS},
        description="Link a card or account. The bank sends two micro-deposits to verify it.",
    )
    def post(self, request):
        data = LinkedAccountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = linking.linked_account_create(user=request.user, **data.validated_data)
        return _answer(account, status.HTTP_201_CREATED)


class LinkedAccountDetailApi(APIView):
    @extend_schema(responses={200: LinkedAccountSerializer, **READ_ERRORS, 404: NOT_FOUND})
    def get(self, request, pk):
        return _answer(_own(request, pk))

    @extend_schema(
        responses={
            204: None,
            **WRITE_ERRORS,
            400: OpenApiResponse(
                ErrorSerializer, description="A top-up or withdrawal on it is still pending."
            ),
            404: NOT_FOUND,
        },
    )
    def delete(self, request, pk):
        linking.linked_account_remove(user=request.user, account_id=_own(request, pk).pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LinkedAccountVerifyApi(APIView):
    @extend_schema(
        request=MicroDepositsInputSerializer,
        responses={200: LinkedAccountSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
        description="Confirm the two micro-deposits; wrong answers count, and lock after a few.",
    )
    def post(self, request, pk):
        account = _own(request, pk)  # someone else's card is a 404 whatever the body
        data = MicroDepositsInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = linking.linked_account_verify(
            user=request.user, account_id=account.pk, **data.validated_data
        )
        return _answer(account)


class LinkedAccountDefaultApi(APIView):
    @extend_schema(
        request=None, responses={200: LinkedAccountSerializer, **WRITE_ERRORS, 404: NOT_FOUND}
    )
    def post(self, request, pk):
        account = linking.linked_account_set_default(
            user=request.user, account_id=_own(request, pk).pk
        )
        return _answer(account)
