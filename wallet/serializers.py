from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from config.api_errors import ErrorSerializer, StrictCharField

from .models import FundingOrder, Transaction
from .money import MINOR_UNITS


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "example": "12.34"},
            {"type": "number", "example": 12.34},
        ],
        "description": "A decimal string such as 12.34; a JSON number is taken at its literal.",
    }
)
class RawAmountField(serializers.Field):
    """Passes the amount through for parse_amount to judge; a JSON number keeps its literal."""

    def to_internal_value(self, data):
        if isinstance(data, float):
            return repr(data)
        if isinstance(data, (str, int)) and not isinstance(data, bool):
            return data
        raise serializers.ValidationError("Enter the amount as a number such as 12.34.")

    def to_representation(self, value):
        return str(value)


class WalletBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    balance = serializers.CharField()


class WalletSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    handle = serializers.CharField()
    status = serializers.CharField()
    activated_at = serializers.DateTimeField(allow_null=True)
    balances = WalletBalanceSerializer(many=True)


class TransferInputSerializer(serializers.Serializer):
    to = StrictCharField(max_length=254)
    amount = RawAmountField()
    currency = serializers.ChoiceField(
        choices=list(MINOR_UNITS), default=settings.WALLET_DEFAULT_CURRENCY
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)


class PaymentInputSerializer(serializers.Serializer):
    merchant = StrictCharField(max_length=32, help_text="The merchant's payment code.")
    amount = RawAmountField()
    currency = serializers.ChoiceField(
        choices=list(MINOR_UNITS), default=settings.WALLET_DEFAULT_CURRENCY
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)
    voucher = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=2**63 - 1,
        help_text="One of the customer's available vouchers (GET vouchers/) to use at this payment.",
    )
    expected_discount = RawAmountField(
        required=False,
        allow_null=True,
        help_text=(
            "The discount the customer saw in payments/preview/ and confirmed. If less is "
            "available when paying (the campaign's budget ran out), the payment is refused "
            "(400, field `voucher`, code discount_unavailable) instead of charging more."
        ),
    )


class PaymentQuoteSerializer(serializers.Serializer):
    amount = serializers.CharField(help_text="What the merchant receives.")
    discount = serializers.CharField(help_text="What a campaign or voucher pays.")
    charged = serializers.CharField(help_text="What leaves the customer's wallet.")
    currency = serializers.CharField()
    discount_label = serializers.CharField(help_text="The voucher or campaign giving it.")


class MovementSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Transaction.Status.choices)
    kind = serializers.ChoiceField(choices=Transaction.Kind.choices)
    amount = serializers.CharField()
    currency = serializers.CharField()
    to = serializers.CharField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class PaymentSerializer(MovementSerializer):
    amount = serializers.CharField(help_text="The payment's full amount: what the merchant got.")
    discount = serializers.CharField(help_text="What a campaign or voucher paid of it.")
    charged = serializers.CharField(help_text="What left the customer's wallet.")


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(source="transaction_id")
    kind = serializers.CharField(source="transaction.kind")
    status = serializers.CharField(source="transaction.status")
    amount = serializers.CharField(help_text="Signed: negative when money left the wallet.")
    currency = serializers.CharField()
    counterparty = serializers.CharField()
    note = serializers.CharField(source="transaction.note")
    created_at = serializers.DateTimeField(source="transaction.created_at")


class PaymentRequestInputSerializer(serializers.Serializer):
    amount = RawAmountField(required=False, allow_null=True)
    currency = serializers.ChoiceField(
        choices=list(MINOR_UNITS), default=settings.WALLET_DEFAULT_CURRENCY
    )
    note = StrictCharField(required=False, allow_blank=True, default="", max_length=1000)


class PaymentRequestSerializer(serializers.Serializer):
    token = serializers.CharField()
    amount = serializers.CharField(allow_null=True)
    currency = serializers.CharField()
    note = serializers.CharField()
    status = serializers.CharField()
    expires_at = serializers.DateTimeField()
    requester = serializers.CharField(help_text="Masked name of who asks to be paid.")
    pay_url = serializers.CharField(help_text="The link the QR code encodes.")
    paid_transaction = serializers.IntegerField(allow_null=True)


class PayRequestInputSerializer(serializers.Serializer):
    amount = RawAmountField(
        required=False, allow_null=True, help_text="Only when the request has no amount."
    )


class BillPaymentInputSerializer(serializers.Serializer):
    biller = StrictCharField(max_length=32, help_text="The biller's code (see billers/).")
    reference = StrictCharField(
        max_length=40, help_text="The customer's account number or phone number."
    )
    amount = RawAmountField()


class BillerSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    reference_hint = serializers.CharField()


class FxRateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    mid_cny_per_unit = serializers.CharField()
    customer_buys_at = serializers.CharField(help_text="CNY the customer pays for one unit.")
    customer_sells_at = serializers.CharField(help_text="CNY the customer gets for one unit.")
    updated_at = serializers.DateTimeField()


class FxQuoteInputSerializer(serializers.Serializer):
    sell_currency = serializers.ChoiceField(choices=list(MINOR_UNITS))
    buy_currency = serializers.ChoiceField(choices=list(MINOR_UNITS))
    sell_amount = RawAmountField()


class FxQuoteSerializer(serializers.Serializer):
    quote = serializers.CharField(source="token")
    sell_currency = serializers.CharField()
    buy_currency = serializers.CharField()
    sell_amount = serializers.CharField()
    buy_amount = serializers.CharField()
    rate = serializers.CharField()
    expires_at = serializers.DateTimeField()


class ExchangeInputSerializer(serializers.Serializer):
    quote = StrictCharField(max_length=24)


class StepUpVerifyInputSerializer(serializers.Serializer):
    otp = StrictCharField(max_length=16)


class StepUpVerifiedSerializer(serializers.Serializer):
    challenge = serializers.CharField()
    verified = serializers.BooleanField()
    expires_at = serializers.DateTimeField()


class StepUpErrorSerializer(ErrorSerializer):
    """The 403 of a payment above the step-up threshold: verify `challenge`, then send again."""

    challenge = serializers.CharField(
        required=False, help_text="Only with code step_up_required: the challenge to verify."
    )


class FundingInputSerializer(serializers.Serializer):
    source = serializers.IntegerField(help_text="The id of one of your verified linked accounts.")
    amount = RawAmountField()
    currency = serializers.ChoiceField(
        choices=list(MINOR_UNITS), default=settings.WALLET_DEFAULT_CURRENCY
    )


class FundingSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()


class FundingOrderSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="The order's reference.")
    direction = serializers.ChoiceField(choices=FundingOrder.Direction.choices)
    status = serializers.ChoiceField(
        choices=[c for c in Transaction.Status.choices if c[0] != Transaction.Status.HELD],
        help_text="`pending` until the bank answers, then `completed` or `rejected`.",
    )
    amount = serializers.CharField()
    currency = serializers.CharField()
    source = FundingSourceSerializer()
    transaction = serializers.IntegerField(
        allow_null=True,
        help_text="Top-up: the posting once settled. Withdrawal: the debit, made at once.",
    )
    reversal = serializers.IntegerField(
        allow_null=True, help_text="A rejected withdrawal: the posting that gave the money back."
    )
    rejection_reason = serializers.CharField(help_text="A code, e.g. `insufficient_funds`.")
    rejection_message = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
