"""The wealth API (DESIGN.md: wealth/products/, wealth/holdings/, wealth/orders/), plus the
suitability questionnaire. Same services as the pages."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import (
    NO_SUCH_PAGE,
    READ_ERRORS,
    WRITE_ERRORS,
    ApplicationError,
    ErrorSerializer,
    StrictCharField,
)
from config.pagination import StrictPageNumberPagination
from wallet.services.common import IDEMPOTENCY_KEY_MAX

from . import selectors, services
from .models import FundOrder, FundProduct, Holding, RiskLevel
from .questionnaire import QUESTIONS

AMOUNT = {"max_digits": 20, "decimal_places": 2}


class ProductSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.SerializerMethodField()
    currency = serializers.CharField()
    risk_level = serializers.IntegerField(help_text="1 (R1, lowest) to 5 (R5).")
    minimum_amount = serializers.DecimalField(**AMOUNT)
    instant_quota_per_day = serializers.DecimalField(**AMOUNT)
    latest_yield_date = serializers.DateField(source="latest_date", allow_null=True)
    latest_yield_per_10k = serializers.DecimalField(
        source="latest_per_10k", max_digits=12, decimal_places=4, allow_null=True
    )
    latest_annualised_7d = serializers.DecimalField(
        max_digits=8, decimal_places=4, allow_null=True, help_text="Percent."
    )

    def get_name(self, product) -> str:
        return product.display_name()


class HoldingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.SerializerMethodField()
    currency = serializers.CharField(source="product.currency")
    balance = serializers.DecimalField(source="account.balance", **AMOUNT)
    yesterday_yield = serializers.DecimalField(**AMOUNT)
    total_yield = serializers.DecimalField(**AMOUNT)
    instant_quota_left = serializers.SerializerMethodField()

    def get_product_name(self, holding) -> str:
        return holding.product.display_name()

    def get_instant_quota_left(self, holding) -> str:
        left = holding.product.instant_quota_per_day - holding.instant_redeemed_today
        return f"{max(left, 0):.2f}"


class OrderSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="holding.product_id")
    kind = serializers.ChoiceField(choices=FundOrder.Kind.choices)
    mode = serializers.ChoiceField(choices=FundOrder.Mode.choices)
    amount = serializers.DecimalField(**AMOUNT)
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=FundOrder.Status.choices)
    settle_on = serializers.DateField(allow_null=True)
    transaction = serializers.IntegerField(source="transaction_id", allow_null=True)
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)


class OrderInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    kind = serializers.ChoiceField(choices=FundOrder.Kind.choices)
    amount = StrictCharField(max_length=40, help_text='A decimal string such as "100.00".')
    mode = serializers.ChoiceField(
        choices=FundOrder.Mode.choices,
        default=FundOrder.Mode.INSTANT,
        help_text="For a redemption: instant (within the daily quota) or standard.",
    )


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per order; the same key and body replay the first result.",
)


class ProductListApi(ListAPIView):
    serializer_class = ProductSerializer
    pagination_class = None

    def get_queryset(self):
        return selectors.products_on_sale()


class HoldingListApi(ListAPIView):
    serializer_class = HoldingSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Holding.objects.none()
        return selectors.holdings_of(self.request.user)


class OrderPagination(StrictPageNumberPagination):
    page_size = 20


class OrderListCreateApi(ListAPIView):
    """GET: the customer's orders, newest first. POST: subscribe or redeem."""

    serializer_class = OrderSerializer
    pagination_class = OrderPagination

    @extend_schema(responses={200: OrderSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FundOrder.objects.none()
        return selectors.orders_of(self.request.user)

    @extend_schema(
        request=OrderInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={
            201: OrderSerializer,
            **WRITE_ERRORS,
            409: OpenApiResponse(ErrorSerializer, description="Idempotency-Key reused."),
        },
    )
    def post(self, request):
        data = OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = FundProduct.objects.filter(pk=values["product"], is_active=True).first()
        if product is None:
            message = _("No such product on sale.")
            raise ApplicationError(message, code="no_product", fields={"product": [message]})
        key = request.headers.get("Idempotency-Key")
        if values["kind"] == FundOrder.Kind.SUBSCRIBE:
            result = services.fund_subscribe(
                user=request.user, product=product, amount=values["amount"], idempotency_key=key
            )
        else:
            result = services.fund_redeem(
                user=request.user,
                product=product,
                amount=values["amount"],
                mode=values["mode"],
                idempotency_key=key,
            )
        response = Response(OrderSerializer(result.order).data, status=status.HTTP_201_CREATED)
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ChoiceSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class QuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    choices = ChoiceSerializer(many=True)


class AssessmentSerializer(serializers.Serializer):
    risk_tolerance = serializers.IntegerField(allow_null=True)
    risk_tolerance_label = serializers.CharField(allow_null=True)
    assessed_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    questions = QuestionSerializer(many=True)


class AnswersSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=StrictCharField(max_length=2),
        help_text='One answer code per question key, e.g. {"age": "c", ...}.',
    )


def assessment_payload(user) -> dict:
    current = services.suitability_current(user)
    return {
        "risk_tolerance": current.risk_tolerance if current else None,
        "risk_tolerance_label": RiskLevel(current.risk_tolerance).label if current else None,
        "assessed_at": current.assessed_at if current else None,
        "expires_at": current.expires_at if current else None,
        "questions": [
            {
                "key": key,
                "text": str(text),
                "choices": [{"code": c, "label": str(label)} for c, label, _s in choices],
            }
            for key, text, choices in QUESTIONS
        ],
    }


class SuitabilityApi(APIView):
    """GET: the questions and the customer's current risk tolerance. POST: answer them."""

    @extend_schema(responses={200: AssessmentSerializer, **READ_ERRORS})
    def get(self, request):
        return Response(AssessmentSerializer(assessment_payload(request.user)).data)

    @extend_schema(request=AnswersSerializer, responses={201: AssessmentSerializer, **WRITE_ERRORS})
    def post(self, request):
        data = AnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.suitability_assess(user=request.user, answers=data.validated_data["answers"])
        return Response(
            AssessmentSerializer(assessment_payload(request.user)).data,
            status=status.HTTP_201_CREATED,
        )
