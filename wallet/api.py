"""The wallet's API (DESIGN.md paths). Thin: validate, call a service or selector, answer."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import ErrorSerializer

from . import selectors, services
from .forms import HistoryFilterForm
from .models import Transaction
from .money import MINOR_UNITS, quantize
from .serializers import (
    HistoryEntrySerializer,
    MovementSerializer,
    PaymentInputSerializer,
    TransferInputSerializer,
    WalletSerializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per money request; the same key and body replay the first result.",
)


def wallet_payload(wallet):
    return {
        "id": wallet.pk,
        "handle": wallet.handle,
        "status": wallet.status,
        "activated_at": wallet.activated_at,
        "balances": [
            {"currency": a.currency, "balance": str(quantize(a.balance, a.currency))}
            for a in selectors.wallet_balances(wallet)
        ],
    }


class WalletListApi(APIView):
    @extend_schema(responses={200: WalletSerializer(many=True)})
    def get(self, request):
        wallet = selectors.wallet_for(request.user)
        return Response([wallet_payload(wallet)] if wallet else [])


class WalletActivateApi(APIView):
    @extend_schema(request=None, responses={200: WalletSerializer, 400: ErrorSerializer})
    def post(self, request):
        wallet = services.wallet_activate(user=request.user)
        return Response(wallet_payload(wallet))


def movement_payload(result: services.MovementResult):
    txn = result.transaction
    entry = next(e for e in txn.entries.all() if e.amount < 0)
    return {
        "id": txn.pk,
        "status": txn.status,
        "kind": txn.kind,
        "amount": str(quantize(-entry.amount, entry.currency)),
        "currency": entry.currency,
        "to": txn.metadata.get("to_name", ""),
        "note": txn.note,
        "created_at": txn.created_at,
    }


def movement_response(result: services.MovementResult) -> Response:
    response = Response(movement_payload(result), status=status.HTTP_201_CREATED)
    if result.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


class TransferCreateApi(APIView):
    @extend_schema(
        request=TransferInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: MovementSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request):
        data = TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.transfer_create(
            sender_user=request.user,
            idempotency_key=request.headers.get("Idempotency-Key"),
            **data.validated_data,
        )
        return movement_response(result)


class PaymentCreateApi(APIView):
    @extend_schema(
        request=PaymentInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: MovementSerializer, 400: ErrorSerializer, 409: ErrorSerializer},
    )
    def post(self, request):
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.payment_create(
            payer_user=request.user,
            merchant_code=values["merchant"],
            amount=values["amount"],
            currency=values["currency"],
            note=values["note"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return movement_response(result)


class TransactionListApi(ListAPIView):
    serializer_class = HistoryEntrySerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            OpenApiParameter("currency", str, enum=list(MINOR_UNITS)),
            OpenApiParameter("kind", str, enum=list(Transaction.Kind.values)),
            OpenApiParameter("date_from", str, description="YYYY-MM-DD"),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD"),
            OpenApiParameter("q", str, description="Text in the note or counterparty"),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        filters = HistoryFilterForm(self.request.query_params)
        if not filters.is_valid():
            raise serializers.ValidationError(filters.errors)
        return selectors.history_entries(
            wallet=selectors.wallet_for(self.request.user), **filters.selector_kwargs()
        )

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        rows = [
            {
                "transaction_id": e.transaction_id,
                "transaction": e.transaction,
                "amount": str(quantize(e.amount, e.currency)),
                "currency": e.currency,
                "counterparty": selectors.counterparty_label(e),
            }
            for e in page
        ]
        return self.get_paginated_response(HistoryEntrySerializer(rows, many=True).data)
