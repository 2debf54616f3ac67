"""One error shape for the whole API: {"detail": "...", "code": "...", "errors": {field: [..]}}."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


class ApplicationError(exceptions.APIException):
    """A business rule said no. Raised by services and APIs; rendered by the handler below."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self, message, *, code: str | None = None, fields=None, status_code=None, extra=None
    ):
        super().__init__(detail=message, code=code or self.default_code)
        self.fields = fields or {}
        self.extra = extra or {}  # more top-level keys for the client, e.g. a step-up challenge
        if status_code:
            self.status_code = status_code


def form_errors_from(form, error: ApplicationError) -> None:
    """Show a service's refusal on a page's form: under its field when the form shows one."""
    fields = getattr(error, "fields", {}) or {}
    placed = False
    for field, field_messages in fields.items():
        target = field if field in form.fields and not form.fields[field].widget.is_hidden else None
        for message in field_messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, str(error.detail))


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class StrictCharField(serializers.CharField):
    """A text input that must arrive as a string: DRF's CharField would turn 12 into "12".

    The schema says `string`, so a JSON number is a 400 like any other wrong type. Form and
    multipart bodies carry only strings, so they are unaffected.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _flatten(detail) -> list[str]:
    if isinstance(detail, list):
        return [str(item) for part in detail for item in _flatten(part)]
    if isinstance(detail, dict):
        return [str(item) for part in detail.values() for item in _flatten(part)]
    return [str(detail)]


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        errors = {field: _flatten(messages) for field, messages in detail.items()}
        summary = next(iter(errors.values()))[0] if errors else str(exc)
        response.data = {"detail": summary, "code": "invalid", "errors": errors}
    else:
        codes = exc.get_codes()
        response.data = {
            "detail": str(exc.detail),
            "code": codes if isinstance(codes, str) else "error",
            "errors": {k: _flatten(v) for k, v in getattr(exc, "fields", {}).items()},
            **getattr(exc, "extra", {}),
        }
    return response


# Every status an endpoint can answer is documented (tests/guardrails/test_api_contract.py
# fails on any other). The bodies all have the error shape of config/api_errors.py.
INVALID = OpenApiResponse(ErrorSerializer, description="The input is not valid; see `errors`.")
NOT_LOGGED_IN = OpenApiResponse(
    ErrorSerializer, description="No credentials, or a token or session that is not valid."
)
NO_CSRF = OpenApiResponse(
    ErrorSerializer, description="A browser session sent no valid CSRF token (a token needs none)."
)
READ_ERRORS = {401: NOT_LOGGED_IN}
NOT_JSON = OpenApiResponse(
    ErrorSerializer, description="The body is not JSON (`Content-Type: application/json`)."
)
WRITE_ERRORS = {400: INVALID, 401: NOT_LOGGED_IN, 403: NO_CSRF, 415: NOT_JSON}
NO_SUCH_PAGE = OpenApiResponse(ErrorSerializer, description="No such page.")
