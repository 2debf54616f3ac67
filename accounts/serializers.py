from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_errors import StrictCharField


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
