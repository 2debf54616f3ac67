from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.pagination import PageNumberPagination

from config.api_errors import NO_SUCH_PAGE, READ_ERRORS

from . import selectors


class RewardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    campaign = serializers.CharField(source="campaign.name")
    amount = serializers.DecimalField(max_digits=20, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.CharField(help_text="pending, settled, failed or refused")
    created_at = serializers.DateTimeField()
    settled_at = serializers.DateTimeField(allow_null=True)
    transaction = serializers.IntegerField(
        source="transaction_id", allow_null=True, help_text="The ledger transaction that paid it."
    )


class OnePagePagination(PageNumberPagination):
    """A repeated `page` parameter is a malformed request, not the last one silently."""

    def paginate_queryset(self, queryset, request, view=None):
        if len(request.query_params.getlist(self.page_query_param)) > 1:
            raise NotFound(_("Invalid page."))
        return super().paginate_queryset(queryset, request, view)


class RewardListApi(ListAPIView):
    """The customer's rewards, newest first."""

    serializer_class = RewardSerializer
    filter_backends: list = []
    pagination_class = OnePagePagination

    @extend_schema(responses={200: RewardSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

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
    pagination_class = OnePagePagination

    @extend_schema(responses={200: VoucherSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.vouchers_of(self.request.user)
