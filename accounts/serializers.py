from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_errors import StrictCharField

from .identity import DocumentType


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("Email"))
    password = StrictCharField(label=_("Password"), trim_whitespace=False, max_length=256)
    otp = StrictCharField(
        label=_("Verification code"), required=False, allow_blank=True, max_length=16
    )


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField()
    full_name = serializers.CharField()
    phone = serializers.CharField(allow_null=True)
    language = serializers.CharField()
    has_second_factor = serializers.BooleanField()


class DataExportSerializer(serializers.Serializer):
    """The header of the export; each app adds its own sections next to it."""

    format_version = serializers.IntegerField()
    generated_at = serializers.DateTimeField()
    user_id = serializers.IntegerField()
    profile = serializers.DictField()


class AccountCloseInputSerializer(serializers.Serializer):
    password = StrictCharField(label=_("Password"), trim_whitespace=False, max_length=256)


class AccountClosedSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["closed"])


class PhoneStartSerializer(serializers.Serializer):
    phone = StrictCharField(label=_("Mobile phone number"), max_length=32)


class PhoneStartedSerializer(serializers.Serializer):
    detail = serializers.CharField()
    phone = serializers.CharField(help_text="The number the code went to, masked.")
    expires_at = serializers.DateTimeField()
    resend_after_seconds = serializers.IntegerField()


class PhoneConfirmSerializer(serializers.Serializer):
    code = StrictCharField(label=_("Code from the SMS"), max_length=16)


class IdentityInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    number = StrictCharField(label=_("Document number"), max_length=40)
    full_name = StrictCharField(label=_("Full name"), max_length=150)


class IdentityDocumentSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    number_masked = serializers.CharField(help_text="E.g. 1101**********123X: never in full.")
    recorded_at = serializers.DateTimeField()
    verified_at = serializers.DateTimeField(
        allow_null=True, help_text="When branch staff checked it in person (level 2)."
    )


class LevelLimitsSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    label = serializers.CharField()
    currency = serializers.CharField()
    per_transaction = serializers.DecimalField(max_digits=20, decimal_places=2)
    daily = serializers.DecimalField(max_digits=20, decimal_places=2)
    monthly = serializers.DecimalField(max_digits=20, decimal_places=2)


class KycSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    level_label = serializers.CharField()
    phone = serializers.CharField(allow_null=True, help_text="The verified number, masked.")
    phone_verified = serializers.BooleanField()
    document = IdentityDocumentSerializer(allow_null=True)
    limits = LevelLimitsSerializer(many=True)
