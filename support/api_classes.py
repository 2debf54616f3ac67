"""The classes and feedback API (DESIGN.md: `classes/`, `feedback/`), calling the same services
as the pages (support/classes.py, support/feedback.py).

`classes/` lists upcoming classes (public, like the page); `classes/{id}/registration/` is the
caller's own registration for that class: POST takes a seat, DELETE gives it back;
`classes/registrations/` lists the caller's registrations. `feedback/` takes a customer's
feedback (POST) and lists their own (GET).
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import (
    NO_SUCH_PAGE,
    READ_ERRORS,
    WRITE_ERRORS,
    ErrorSerializer,
    StrictCharField,
)

from . import classes, feedback
from .models_classes import TrainingClass
from .models_feedback import FEEDBACK_MAX_LENGTH, Feedback

NO_SUCH_CLASS = OpenApiResponse(
    ErrorSerializer,
    description="No such upcoming class (or, for DELETE, no registration of yours).",
)
REFUSED = OpenApiResponse(
    ErrorSerializer,
    description="Refused: `class_full`, `class_started`, `already_registered`, or invalid input.",
)
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too much feedback in a minute: `rate_limited`."
)


class TrainingClassSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    mode = serializers.ChoiceField(choices=TrainingClass.Mode.choices)
    place = serializers.CharField(help_text="The branch and address, or “online”.")
    branch = serializers.CharField(source="branch.code", allow_null=True, default=None)
    language = serializers.ChoiceField(choices=TrainingClass.Language.choices)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    seats_left = serializers.SerializerMethodField()

    def get_seats_left(self, obj) -> int:
        return classes.seats_left(obj)


class RegistrationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    training_class = TrainingClassSerializer(source="training_class_with_seats")
    status = serializers.CharField()
    registered_at = serializers.DateTimeField()
    join_url = serializers.SerializerMethodField(
        help_text="The online class's link (only to registered customers)."
    )
    attended = serializers.BooleanField(allow_null=True)

    def get_join_url(self, obj) -> str:
        return obj.training_class.join_url if obj.status == "registered" else ""


def _registration_data(registration) -> dict:
    registration.training_class_with_seats = registration.training_class
    return RegistrationSerializer(registration).data


class ClassListApi(ListAPIView):
    """Upcoming published classes, soonest first, with the seats left."""

    permission_classes = (AllowAny,)
    serializer_class = TrainingClassSerializer
    filter_backends = ()

    def get_queryset(self):
        return classes.upcoming_classes()

    @extend_schema(
        operation_id="classes_list",
        responses={200: TrainingClassSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClassRegistrationListApi(ListAPIView):
    """The caller's registrations (active ones, past classes included), latest class first."""

    serializer_class = RegistrationSerializer
    filter_backends = ()

    def get_queryset(self):
        return classes.registrations_of(self.request.user)

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        for registration in page:
            registration.training_class_with_seats = registration.training_class
        return self.get_paginated_response(RegistrationSerializer(page, many=True).data)

    @extend_schema(
        operation_id="classes_registrations_list",
        responses={200: RegistrationSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ClassRegistrationApi(APIView):
    """The caller's registration for one class."""

    @extend_schema(
        operation_id="classes_registration_create",
        request=None,
        responses={
            201: RegistrationSerializer,
            **WRITE_ERRORS,
            400: REFUSED,
            404: NO_SUCH_CLASS,
        },
    )
    def post(self, request, pk):
        registration = classes.class_register(customer=request.user, class_id=pk)
        return Response(_registration_data(registration), status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="classes_registration_destroy",
        request=None,
        responses={
            204: None,
            **{k: v for k, v in WRITE_ERRORS.items() if k != 415},
            400: REFUSED,
            404: NO_SUCH_CLASS,
        },
    )
    def delete(self, request, pk):
        classes.class_registration_cancel(customer=request.user, class_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=Feedback.Kind.choices)
    text = StrictCharField(
        max_length=FEEDBACK_MAX_LENGTH, help_text="Plain text; markup is kept as text."
    )
    rating = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=5, help_text="1 to 5, optional."
    )
    page = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="The path of the page it is about; a query string is dropped.",
    )
    created_at = serializers.DateTimeField(read_only=True)


class FeedbackListCreateApi(ListAPIView):
    serializer_class = FeedbackSerializer
    filter_backends = ()

    def get_queryset(self):
        return feedback.feedback_of(self.request.user)

    @extend_schema(
        operation_id="feedback_list",
        responses={200: FeedbackSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="feedback_create",
        request=FeedbackSerializer,
        responses={201: FeedbackSerializer, **WRITE_ERRORS, 429: THROTTLED},
    )
    def post(self, request, *args, **kwargs):
        data = FeedbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = feedback.feedback_create(
            customer=request.user,
            kind=values["kind"],
            text=values["text"],
            rating=values.get("rating"),
            page=values.get("page", ""),
        )
        return Response(FeedbackSerializer(item).data, status=status.HTTP_201_CREATED)
