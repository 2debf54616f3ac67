"""The wallet's API (DESIGN.md paths). Thin: validate, call a service or selector, answer."""

from decimal import Decimal

from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import (
    INVALID,
    NO_CSRF,
    NOT_JSON,
    NOT_LOGGED_IN,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorSerializer,
)

from . import selectors, services
from .forms import HistoryFilterForm
from .masking import display_name_masked
from .models import Biller, Transaction
from .money import MINOR_UNITS, quantize
from .serializers import (
    BillerSerializer,
    BillPaymentInputSerializer,
    ExchangeInputSerializer,
    FundingInputSerializer,
    FundingOrderSerializer,
    FxQuoteInputSerializer,
    FxQuoteSerializer,
    FxRateSerializer,
    HistoryEntrySerializer,
    MovementSerializer,
    PaymentInputSerializer,
    PaymentQuoteSerializer,
    PaymentRequestInputSerializer,
    PaymentRequestSerializer,
    PaymentSerializer,
    PayRequestInputSerializer,
    StepUpErrorSerializer,
    StepUpVerifiedSerializer,
    StepUpVerifyInputSerializer,
    TransferInputSerializer,
    WalletSerializer,
)
from .services.common import IDEMPOTENCY_KEY_MAX

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per money request; the same key and body replay the first result.",
)


STEP_UP_HEADER = OpenApiParameter(
    "X-Step-Up-Challenge",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="For a payment above the step-up threshold: the challenge from the 403, once verified.",
)
MONEY_HEADERS = [IDEMPOTENCY_HEADER, STEP_UP_HEADER]

STEP_UP = OpenApiResponse(
    StepUpErrorSerializer,
    description=(
        "Above the step-up threshold: `step_up_required` with a `challenge` to verify, "
        "`step_up_invalid` when the sent challenge does not fit, `step_up_unavailable` without "
        "a second factor. A browser session without its CSRF token is refused here too."
    ),
)
KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description="The Idempotency-Key was already used for a different request."
)
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such payment request.")
MONEY_ERRORS = {400: INVALID, 401: NOT_LOGGED_IN, 403: STEP_UP, 409: KEY_REUSED, 415: NOT_JSON}


def step_up_token(request) -> str | None:
    return request.headers.get("X-Step-Up-Challenge") or None


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
    @extend_schema(responses={200: WalletSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        wallet = selectors.wallet_for(request.user)
        return Response([wallet_payload(wallet)] if wallet else [])


class WalletActivateApi(APIView):
    @extend_schema(request=None, responses={200: WalletSerializer, **WRITE_ERRORS})
    def post(self, request):
        wallet = services.wallet_activate(user=request.user)
        return Response(wallet_payload(wallet))


def movement_payload(result: services.MovementResult):
    txn = result.transaction
    # The customer's own debit: an exchange also debits the bank's FX position.
    entry = next(
        e for e in txn.entries.select_related("account") if e.amount < 0 and e.account.wallet_id
    )
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
        parameters=MONEY_HEADERS,
        responses={201: MovementSerializer, **MONEY_ERRORS},
    )
    def post(self, request):
        data = TransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.transfer_create(
            sender_user=request.user,
            idempotency_key=request.headers.get("Idempotency-Key"),
            step_up=step_up_token(request),
            **data.validated_data,
        )
        return movement_response(result)


def payment_response(result: services.MovementResult) -> Response:
    """A movement's answer plus what the payment was worth, the discount and the charge."""
    response = movement_response(result)
    amounts = services.payment_amounts(result.transaction)
    currency = response.data["currency"]
    charged = response.data["amount"]
    if not amounts["amount"]:
        amounts = {"amount": charged, "discount": "0", "charged": charged}
    response.data.update(
        {name: str(quantize(Decimal(value), currency)) for name, value in amounts.items()}
    )
    return response


class PaymentCreateApi(APIView):
    @extend_schema(
        request=PaymentInputSerializer,
        parameters=MONEY_HEADERS,
        responses={201: PaymentSerializer, **MONEY_ERRORS},
        description=(
            "Pay a merchant. With `voucher`, that voucher's discount applies (or the payment is "
            "refused with an error on `voucher`); without, the merchant's running discount "
            "applies by itself. The merchant receives `amount`; the customer is `charged`."
        ),
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
            voucher=values.get("voucher"),
            expected_discount=values.get("expected_discount"),
            idempotency_key=request.headers.get("Idempotency-Key"),
            step_up=step_up_token(request),
        )
        return payment_response(result)


class PaymentPreviewApi(APIView):
    @extend_schema(
        request=PaymentInputSerializer,
        responses={200: PaymentQuoteSerializer, **WRITE_ERRORS},
        description=(
            "What a payment would cost: the discount (a voucher's, or the merchant's running "
            "discount) and the amount charged. Nothing is reserved or moved; send the returned "
            "`discount` as `expected_discount` when paying."
        ),
    )
    def post(self, request):
        data = PaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _request, quote = services.payment_preview(
            payer_user=request.user,
            merchant_code=values["merchant"],
            amount=values["amount"],
            currency=values["currency"],
            note=values["note"],
            voucher=values.get("voucher"),
        )
        return Response(
            {
                "amount": str(quote.amount),
                "discount": str(quantize(quote.discount, quote.currency)),
                "charged": str(quantize(quote.charged, quote.currency)),
                "currency": quote.currency,
                "discount_label": quote.label,
            }
        )


def payment_request_payload(request, payment_request):
    return {
        "token": payment_request.token,
        "amount": None
        if payment_request.amount is None
        else str(quantize(payment_request.amount, payment_request.currency)),
        "currency": payment_request.currency,
        "note": payment_request.note,
        "status": payment_request.effective_status,
        "expires_at": payment_request.expires_at,
        "requester": display_name_masked(payment_request.requester.user),
        "pay_url": request.build_absolute_uri(
            reverse("wallet:request_pay", args=[payment_request.token])
        ),
        # Which transaction paid it is the requester's business, not every link holder's.
        "paid_transaction": payment_request.paid_by_id
        if payment_request.requester.user_id == request.user.pk
        else None,
    }


class PaymentRequestListCreateApi(APIView):
    @extend_schema(responses={200: PaymentRequestSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        requests = selectors.payment_requests_of(selectors.wallet_for(request.user)).select_related(
            "requester__user"
        )[:50]
        return Response([payment_request_payload(request, r) for r in requests])

    @extend_schema(
        request=PaymentRequestInputSerializer,
        responses={201: PaymentRequestSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = PaymentRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payment_request = services.payment_request_create(user=request.user, **data.validated_data)
        return Response(
            payment_request_payload(request, payment_request), status=status.HTTP_201_CREATED
        )


class PaymentRequestDetailApi(APIView):
    @extend_schema(
        responses={200: PaymentRequestSerializer, **READ_ERRORS, 404: NOT_FOUND},
    )
    def get(self, request, token):
        return Response(payment_request_payload(request, services.payment_request_get(token)))


class PaymentRequestPayApi(APIView):
    @extend_schema(
        request=PayRequestInputSerializer,
        parameters=MONEY_HEADERS,
        responses={201: MovementSerializer, **MONEY_ERRORS, 404: NOT_FOUND},
    )
    def post(self, request, token):
        data = PayRequestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.payment_request_pay(
            payer_user=request.user,
            token=token,
            amount=data.validated_data.get("amount"),
            idempotency_key=request.headers.get("Idempotency-Key"),
            step_up=step_up_token(request),
        )
        return movement_response(result)


class BillPaymentCreateApi(APIView):
    @extend_schema(
        request=BillPaymentInputSerializer,
        parameters=MONEY_HEADERS,
        responses={201: MovementSerializer, **MONEY_ERRORS},
    )
    def post(self, request):
        data = BillPaymentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = services.bill_payment_create(
            payer_user=request.user,
            biller_code=values["biller"],
            reference=values["reference"],
            amount=values["amount"],
            idempotency_key=request.headers.get("Idempotency-Key"),
            step_up=step_up_token(request),
        )
        return movement_response(result)


class BillerListApi(APIView):
    @extend_schema(responses={200: BillerSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        return Response(BillerSerializer(Biller.objects.filter(is_active=True), many=True).data)


def quote_payload(quote):
    return {
        "token": quote.token,
        "sell_currency": quote.sell_currency,
        "buy_currency": quote.buy_currency,
        "sell_amount": str(quantize(quote.sell_amount, quote.sell_currency)),
        "buy_amount": str(quantize(quote.buy_amount, quote.buy_currency)),
        "rate": str(quote.rate),
        "expires_at": quote.expires_at,
    }


class FxRateListApi(APIView):
    @extend_schema(responses={200: FxRateSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        return Response(FxRateSerializer(selectors.fx_board(), many=True).data)


class FxQuoteCreateApi(APIView):
    @extend_schema(
        request=FxQuoteInputSerializer, responses={201: FxQuoteSerializer, **WRITE_ERRORS}
    )
    def post(self, request):
        data = FxQuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        quote = services.fx_quote_create(user=request.user, **data.validated_data)
        return Response(
            FxQuoteSerializer(quote_payload(quote)).data, status=status.HTTP_201_CREATED
        )


class ExchangeCreateApi(APIView):
    @extend_schema(
        request=ExchangeInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: MovementSerializer, **WRITE_ERRORS, 409: KEY_REUSED},
    )
    def post(self, request):
        data = ExchangeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.exchange_create(
            user=request.user,
            quote_token=data.validated_data["quote"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return movement_response(result)


class StepUpVerifyApi(APIView):
    """Approve one large payment with a second-factor code (from the 403's `challenge`)."""

    @extend_schema(
        request=StepUpVerifyInputSerializer,
        responses={200: StepUpVerifiedSerializer, **WRITE_ERRORS},
    )
    def post(self, request, token):
        data = StepUpVerifyInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        challenge = services.step_up_verify(
            user=request.user, token=token, otp=data.validated_data["otp"], request=request._request
        )
        return Response(
            {"challenge": challenge.token, "verified": True, "expires_at": challenge.expires_at}
        )


DATE_OR_EMPTY = {"type": "string", "anyOf": [{"format": "date"}, {"maxLength": 0}]}


class TransactionListApi(ListAPIView):
    serializer_class = HistoryEntrySerializer
    filter_backends: list = []

    @extend_schema(
        parameters=[
            # Like the history page's form, an empty value means "no filter".
            OpenApiParameter("currency", str, enum=["", *MINOR_UNITS]),
            OpenApiParameter("kind", str, enum=["", *Transaction.Kind.values]),
            OpenApiParameter("date_from", DATE_OR_EMPTY, description="YYYY-MM-DD"),
            OpenApiParameter(
                "date_to", DATE_OR_EMPTY, description="YYYY-MM-DD, not before date_from"
            ),
            OpenApiParameter(
                "q",
                {"type": "string", "maxLength": 100},
                description="Text in the note or counterparty",
            ),
        ],
        responses={
            200: HistoryEntrySerializer(many=True),
            400: INVALID,
            **READ_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No such page."),
        },
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


# --- funding: top-ups and withdrawals ----------------------------------------------------------


def funding_payload(order):
    return {
        "id": order.reference,
        "direction": order.direction,
        "status": order.status,
        "amount": str(quantize(order.amount, order.currency)),
        "currency": order.currency,
        "source": {"id": order.source_id, "label": order.source.label},
        "transaction": order.transaction_id,
        "reversal": order.reversal_id,
        "rejection_reason": order.rejection_reason,
        "rejection_message": services.rejection_reason_text(order.rejection_reason)
        if order.rejection_reason
        else "",
        "created_at": order.created_at,
        "decided_at": order.decided_at,
    }


FUNDING_ERRORS = {400: INVALID, 401: NOT_LOGGED_IN, 403: NO_CSRF, 409: KEY_REUSED, 415: NOT_JSON}
NO_SUCH_ORDER = OpenApiResponse(ErrorSerializer, description="No such order of yours.")


class _FundingApi(APIView):
    direction: str
    create = None

    def get(self, request):
        orders = selectors.funding_orders_of(request.user, direction=self.direction)[:50]
        return Response([funding_payload(order) for order in orders])

    def post(self, request):
        data = FundingInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        result = type(self).create(
            user=request.user,
            source_id=values["source"],
            amount=values["amount"],
            currency=values["currency"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        response = Response(funding_payload(result.order), status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class _FundingDetailApi(APIView):
    direction: str

    def get(self, request, reference):
        orders = selectors.funding_orders_of(request.user, direction=self.direction)
        order = orders.filter(reference=reference).first()
        if order is None:
            raise Http404
        return Response(funding_payload(order))


@extend_schema_view(
    get=extend_schema(responses={200: FundingOrderSerializer(many=True), **READ_ERRORS}),
    post=extend_schema(
        request=FundingInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: FundingOrderSerializer, **FUNDING_ERRORS},
        description="Top up from a verified card or account: `pending` until the bank settles.",
    ),
)
class TopUpListCreateApi(_FundingApi):
    direction = "top_up"
    create = staticmethod(services.topup_create)


@extend_schema_view(
    get=extend_schema(responses={200: FundingOrderSerializer(many=True), **READ_ERRORS}),
    post=extend_schema(
        request=FundingInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: FundingOrderSerializer, **FUNDING_ERRORS},
        description="Withdraw to a verified debit card or bank account: debited at once, "
        "given back if the bank rejects it.",
    ),
)
class WithdrawalListCreateApi(_FundingApi):
    direction = "withdrawal"
    create = staticmethod(services.withdrawal_create)


@extend_schema_view(
    get=extend_schema(responses={200: FundingOrderSerializer, **READ_ERRORS, 404: NO_SUCH_ORDER})
)
class TopUpDetailApi(_FundingDetailApi):
    direction = "top_up"


@extend_schema_view(
    get=extend_schema(responses={200: FundingOrderSerializer, **READ_ERRORS, 404: NO_SUCH_ORDER})
)
class WithdrawalDetailApi(_FundingDetailApi):
    direction = "withdrawal"
