from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import (
    NO_SUCH_PAGE,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorSerializer,
    StrictCharField,
)
from config.pagination import StrictPageNumberPagination
from config.qr import qr_svg
from wallet.masking import display_name_masked
from wallet.models import Merchant
from wallet.services.common import IDEMPOTENCY_KEY_MAX

from . import points, referrals, selectors
from .models import PointsEntry, Referral
from .offers import offers_for


class RewardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.CharField(source="campaign.name")
    amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=2,
        help_text="The cash paid; for a points reward, the points' cash value in the budget.",
    )
    currency = serializers.CharField()
    points = serializers.IntegerField(
        help_text="A reward paid in points: how many (credited to the points balance); else 0."
    )
    status = serializers.CharField(help_text="pending, settled, failed or refused")
    role = serializers.CharField(
        help_text="For a referral reward: referrer or referee; else empty."
    )
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    transaction = serializers.IntegerField(
        source="transaction_id", allow_null=True, help_text="The ledger transaction that paid it."
    )


# --- referrals and points (issue 5) ------------------------------------------------------------


class PointsEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PointsEntry.Kind.choices)
    points = serializers.IntegerField(
        help_text="Signed: earned is positive, spent or expired negative."
    )
    balance_after = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="When earned points expire.")
    description = serializers.CharField()
    transaction = serializers.IntegerField(source="transaction_id", allow_null=True)


class PointsProgrammeSerializer(serializers.Serializer):
    name = serializers.CharField()
    points_per_cny = serializers.IntegerField()
    points_per_unit = serializers.IntegerField(help_text="Redeem in multiples of this many points.")
    unit_value = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="Cash (CNY) paid for one unit of points."
    )
    valid_days = serializers.IntegerField()


class VoucherOfferSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(source="pk", help_text="Send it to points/vouchers/.")
    name = serializers.CharField()
    label = serializers.CharField(source="offer_label", help_text="What the voucher gives.")
    points_price = serializers.IntegerField(help_text="Points for one voucher.")
    valid_days = serializers.IntegerField(source="voucher_valid_days")


class PointsSerializer(serializers.Serializer):
    balance = serializers.IntegerField()
    history = PointsEntrySerializer(many=True, help_text="The latest 20 movements, newest first.")
    programme = PointsProgrammeSerializer(allow_null=True, help_text="The running programme.")
    voucher_offers = VoucherOfferSerializer(
        many=True, help_text="Vouchers the customer can get for points now."
    )


class RewardPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RewardSerializer(many=True)
    points = PointsSerializer()


def programme_payload(campaign) -> dict | None:
    if campaign is None:
        return None
    return {
        "name": campaign.name,
        "points_per_cny": campaign.points_per_cny,
        "points_per_unit": campaign.points_per_unit,
        "unit_value": campaign.reward_amount,
        "valid_days": campaign.points_valid_days,
    }


def points_payload(user) -> dict:
    return {
        "balance": selectors.points_balance(user),
        "history": PointsEntrySerializer(selectors.points_history(user), many=True).data,
        "programme": programme_payload(points.points_programme_running()),
        "voucher_offers": VoucherOfferSerializer(
            points.voucher_offers_for_points(), many=True
        ).data,
    }


class PointsRedeemInputSerializer(serializers.Serializer):
    points = serializers.IntegerField(
        min_value=1,
        max_value=points.MAX_REDEEM_POINTS,
        help_text="How many points to exchange: a multiple of the programme's unit.",
    )


class PointsRedemptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    points = serializers.IntegerField(help_text="The points redeemed (positive).")
    balance = serializers.IntegerField(help_text="Points left after the redemption.")
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    transaction = serializers.IntegerField(help_text="The ledger transaction that paid the cash.")
    status = serializers.CharField()


IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX},
    OpenApiParameter.HEADER,
    required=True,
    description="A unique key per redemption; the same key and body replay the first result.",
)
KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description="The Idempotency-Key was already used for a different request."
)


class PointsRedeemApi(APIView):
    """Exchange points for cash in the wallet, paid from the points programme's pool."""

    @extend_schema(
        request=PointsRedeemInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PointsRedemptionSerializer, **WRITE_ERRORS, 409: KEY_REUSED},
    )
    def post(self, request):
        data = PointsRedeemInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = points.points_redeem(
            user=request.user,
            points=data.validated_data["points"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        entry = result.entry
        cash = next(e.amount for e in entry.transaction.entries.all() if e.amount > 0)
        response = Response(
            PointsRedemptionSerializer(
                {
                    "id": entry.pk,
                    "points": -entry.points,
                    "balance": entry.balance_after,
                    "amount": cash,
                    "currency": entry.campaign.CURRENCY,
                    "transaction": entry.transaction_id,
                    "status": entry.transaction.status,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class PointsVoucherInputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        min_value=1, max_value=2_147_483_647, help_text="A campaign of points.voucher_offers."
    )


class PointsVoucherSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The points entry.")
    points = serializers.IntegerField(help_text="The points spent (positive).")
    balance = serializers.IntegerField(help_text="Points left.")
    voucher = serializers.IntegerField(help_text="The voucher, usable at payment (vouchers/).")
    label = serializers.CharField()
    expires_at = serializers.DateTimeField()


class PointsVoucherApi(APIView):
    """Exchange points for a voucher of a campaign that offers its vouchers for points."""

    @extend_schema(
        request=PointsVoucherInputSerializer,
        parameters=[IDEMPOTENCY_HEADER],
        responses={201: PointsVoucherSerializer, **WRITE_ERRORS, 409: KEY_REUSED},
    )
    def post(self, request):
        data = PointsVoucherInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = points.points_redeem_voucher(
            user=request.user,
            campaign_id=data.validated_data["campaign"],
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        entry = result.entry
        response = Response(
            PointsVoucherSerializer(
                {
                    "id": entry.pk,
                    "points": -entry.points,
                    "balance": entry.balance_after,
                    "voucher": entry.voucher_id,
                    "label": entry.voucher.label,
                    "expires_at": entry.voucher.expires_at,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )
        if result.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ReferralCampaignSerializer(serializers.Serializer):
    name = serializers.CharField()
    referrer_reward = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    referee_reward = serializers.DecimalField(max_digits=20, decimal_places=2)
    min_payment = serializers.DecimalField(max_digits=20, decimal_places=2)
    ends_at = serializers.DateTimeField()


class ReferralOverviewSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The customer's own referral code.")
    link = serializers.URLField(help_text="The sign-up link that carries the code.")
    qr_svg = serializers.CharField(help_text="The link as a QR code, an SVG document.")
    referred = serializers.IntegerField(help_text="Customers who signed up with the code.")
    rewarded = serializers.IntegerField()
    pending = serializers.IntegerField(help_text="Waiting for their first qualifying payment.")
    refused = serializers.IntegerField()
    referred_by_someone = serializers.BooleanField()
    can_enter_code = serializers.BooleanField(
        help_text="Whether POST referrals/ can still record who referred this customer."
    )
    campaign = ReferralCampaignSerializer(allow_null=True)


class ReferralEnterSerializer(serializers.Serializer):
    code = StrictCharField(max_length=32, help_text="A friend's referral code.")


class ReferralSerializer(serializers.Serializer):
    referrer = serializers.CharField(help_text="The referrer's name, masked.")
    status = serializers.ChoiceField(choices=Referral.Status.choices)
    created_at = serializers.DateTimeField()


def referral_overview(request) -> dict:
    """The customer's code, link and QR with the referral figures (the page shows the same)."""
    user = request.user
    code = referrals.referral_code_ensure(user=user).code
    link = request.build_absolute_uri(reverse("referral_link", args=[code]))
    campaign = referrals.referral_campaign_running()
    referred_by = selectors.referral_of_referee(user)
    return {
        "code": code,
        "link": link,
        "qr_svg": qr_svg(link),
        **selectors.referral_counts(user),
        "referred_by_someone": referred_by is not None,
        "can_enter_code": referred_by is None and referrals.referral_entry_open(user=user),
        "campaign": None
        if campaign is None
        else {
            "name": campaign.name,
            "referrer_reward": campaign.referrer_reward,
            "referee_reward": campaign.reward_amount,
            "min_payment": campaign.referral_min_payment,
            "ends_at": campaign.ends_at,
        },
    }


class ReferralApi(APIView):
    @extend_schema(responses={200: ReferralOverviewSerializer, **READ_ERRORS})
    def get(self, request):
        """My referral code, link and QR, and how many friends it brought."""
        return Response(ReferralOverviewSerializer(referral_overview(request)).data)

    @extend_schema(
        request=ReferralEnterSerializer,
        responses={201: ReferralSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        """Enter the code of the friend who referred me (within a few days of signing up)."""
        data = ReferralEnterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        referral = referrals.referral_enter(user=request.user, code=data.validated_data["code"])
        payload = {
            "referrer": display_name_masked(referral.referrer),
            "status": referral.status,
            "created_at": referral.created_at,
        }
        return Response(ReferralSerializer(payload).data, status=status.HTTP_201_CREATED)


class RewardListApi(ListAPIView):
    """The customer's rewards, newest first, and their points (balance and latest history)."""

    serializer_class = RewardSerializer
    filter_backends: list = []
    pagination_class = StrictPageNumberPagination

    @extend_schema(responses={200: RewardPageSerializer, **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["points"] = points_payload(self.request.user)
        return response

    def get_queryset(self):
        return selectors.rewards_of(self.request.user)


# --- vouchers ------------------------------------------------------------------------------


class VoucherMerchantSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class VoucherSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Send it as `voucher` to payments/ to use it.")
    campaign = serializers.CharField(source="campaign.name")
    label = serializers.CharField(help_text="What the voucher gives, in the customer's language.")
    benefit = serializers.CharField(help_text="fixed or percent")
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    min_spend = serializers.DecimalField(max_digits=20, decimal_places=2)
    max_discount = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    currency = serializers.CharField()
    merchants = VoucherMerchantSerializer(
        many=True, help_text="Where it can be used; with no merchants and no categories, anywhere."
    )
    merchant_categories = serializers.ListField(child=serializers.CharField())
    expires_at = serializers.DateTimeField()
    status = serializers.CharField(
        source="effective_status", help_text="available, used or expired"
    )
    used_at = serializers.DateTimeField(allow_null=True)
    transaction = serializers.IntegerField(
        source="used_by_transaction_id", allow_null=True, help_text="The payment that used it."
    )


class VoucherListApi(ListAPIView):
    """The customer's vouchers, the soonest to expire first."""

    serializer_class = VoucherSerializer
    filter_backends: list = []
    pagination_class = StrictPageNumberPagination

    @extend_schema(responses={200: VoucherSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.vouchers_of(self.request.user)


# --- offers for you (promotions/offers.py) ---------------------------------------------------


class OfferSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=[
            "discount",
            "voucher_for_points",
            "cashback",
            "referral",
            "voucher",
            "wealth_product",
        ],
        help_text="discount: taken off at checkout; voucher_for_points: a voucher sold for "
        "points; cashback: on a first payment; referral: invite a friend; voucher: one of the "
        "customer's own vouchers (personalised list only); wealth_product: a savings product.",
    )
    key = serializers.CharField(help_text='Unique in the list, e.g. "campaign:12", "product:3".')
    title = serializers.CharField()
    detail = serializers.CharField()
    link = serializers.CharField(help_text="The page where the customer takes the offer up.")
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=Merchant.Category.choices),
        help_text="Merchant categories it applies to; empty: everywhere (or not a shop offer).",
    )
    ends_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField(
        help_text="Why it is shown to this customer; empty without personalisation consent."
    )


class OfferPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    personalised = serializers.BooleanField(
        help_text="Whether the customer accepted personalised offers. If not, the list is the "
        "same general one for everyone, with no reasons."
    )
    results = OfferSerializer(many=True)


class OfferListApi(ListAPIView):
    """Offers for the customer, best first: running discounts and campaigns they can take up,
    their vouchers and wealth products, ranked by their spending categories with a reason when
    they accepted personalised offers; otherwise the general list everyone sees."""

    serializer_class = OfferSerializer
    filter_backends: list = []
    pagination_class = StrictPageNumberPagination

    @extend_schema(responses={200: OfferPageSerializer, **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        self.personalised, offers = offers_for(self.request.user)
        return offers

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        results = response.data.pop("results")
        response.data["personalised"] = self.personalised
        response.data["results"] = results
        return response
