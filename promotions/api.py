from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView

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


class RewardListApi(ListAPIView):
    """The customer's rewards, newest first."""

    serializer_class = RewardSerializer
    filter_backends: list = []

    @extend_schema(responses={200: RewardSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.rewards_of(self.request.user)
