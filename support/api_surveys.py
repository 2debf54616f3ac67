"""The customer's survey API (DESIGN.md: `surveys/`), calling the same services as the pages:
open admin-built surveys and one response to each; the CSAT and NPS questions waiting for the
customer and their answer. Another customer's invitation answers 404, like one that does not
exist; a survey that is not open answers 404 to everyone."""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
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

from . import surveys
from .models_surveys import Channel, SurveyInvitation, SurveyQuestion

NO_SURVEY = OpenApiResponse(ErrorSerializer, description="No such open survey.")
NO_INVITATION = OpenApiResponse(ErrorSerializer, description="No such survey question of yours.")


class SurveyChoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()


class SurveyQuestionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    field = serializers.SerializerMethodField(
        help_text="The key of this question's answer in `answers`."
    )
    kind = serializers.ChoiceField(choices=SurveyQuestion.Kind.choices)
    text = serializers.CharField()
    required = serializers.BooleanField()
    choices = SurveyChoiceSerializer(many=True, source="choices.all")

    def get_field(self, obj) -> str:
        return surveys.field_name(obj)


class SurveySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    description = serializers.CharField()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    answered = serializers.BooleanField(help_text="You have answered it already.")


class SurveyDetailSerializer(SurveySerializer):
    questions = SurveyQuestionSerializer(many=True, source="questions.all")


class SurveyPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SurveySerializer(many=True)


class SurveyResponseInputSerializer(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.JSONField(),
        help_text=(
            "Each question's `field` → its answer: a rating 1–5 (integer), a text (string), "
            "a choice id (single choice) or a list of choice ids (multiple choice). Required "
            "questions must be answered."
        ),
    )


class SurveyResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.IntegerField(source="survey_id")
    created_at = serializers.DateTimeField()


class SurveyListApi(APIView):
    @extend_schema(
        operation_id="surveys_list",
        responses={200: SurveyPageSerializer, **READ_ERRORS, 404: NO_SUCH_PAGE},
    )
    def get(self, request):
        paginator = StrictPageNumberPagination()
        page = paginator.paginate_queryset(
            surveys.open_surveys_for(request.user), request, view=self
        )
        return paginator.get_paginated_response(SurveySerializer(page, many=True).data)


def _open_survey(request, pk: int):
    survey = surveys.open_survey_or_none(customer=request.user, pk=pk)
    if survey is None:
        raise Http404
    return survey


class SurveyDetailApi(APIView):
    @extend_schema(responses={200: SurveyDetailSerializer, **READ_ERRORS, 404: NO_SURVEY})
    def get(self, request, pk):
        return Response(SurveyDetailSerializer(_open_survey(request, pk)).data)


class SurveyResponseApi(APIView):
    @extend_schema(
        request=SurveyResponseInputSerializer,
        responses={201: SurveyResponseSerializer, **WRITE_ERRORS, 404: NO_SURVEY},
        description="Answer an open survey, once. Errors name the question's `field`.",
    )
    def post(self, request, pk):
        survey = _open_survey(request, pk)
        data = SurveyResponseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        response = surveys.survey_response_create(
            survey=survey,
            customer=request.user,
            answers=data.validated_data["answers"],
            channel=Channel.APP,
        )
        return Response(SurveyResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class SurveyInvitationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SurveyInvitation.Kind.choices)
    ticket = serializers.CharField(
        source="ticket.reference", allow_null=True, default=None, help_text="CSAT: the ticket."
    )
    scale_min = serializers.IntegerField()
    scale_max = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()


class SurveyInvitationPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = SurveyInvitationSerializer(many=True)


class SurveyScoreInputSerializer(serializers.Serializer):
    score = serializers.IntegerField(
        min_value=0, max_value=10, help_text="CSAT: 1 to 5. NPS: 0 to 10."
    )
    comment = StrictCharField(
        required=False, allow_blank=True, max_length=surveys.COMMENT_MAX_LENGTH
    )


class SurveyScoreAnswerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    score = serializers.IntegerField()
    comment = serializers.CharField()
    created_at = serializers.DateTimeField()


class InvitationListApi(APIView):
    @extend_schema(
        operation_id="survey_invitations_list",
        responses={200: SurveyInvitationPageSerializer, **READ_ERRORS, 404: NO_SUCH_PAGE},
        description="The CSAT and NPS questions waiting for your answer.",
    )
    def get(self, request):
        paginator = StrictPageNumberPagination()
        page = paginator.paginate_queryset(
            surveys.pending_invitations_of(request.user), request, view=self
        )
        return paginator.get_paginated_response(SurveyInvitationSerializer(page, many=True).data)


class InvitationAnswerApi(APIView):
    @extend_schema(
        request=SurveyScoreInputSerializer,
        responses={201: SurveyScoreAnswerSerializer, **WRITE_ERRORS, 404: NO_INVITATION},
        description="Answer a CSAT or NPS question of yours, once (`survey_answered` after; "
        "`survey_expired` after its link expired).",
    )
    def post(self, request, pk):
        if surveys.invitation_of_customer_or_none(customer=request.user, pk=pk) is None:
            raise Http404  # another's, or none: the same answer, before reading the body
        data = SurveyScoreInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = surveys.survey_answer_by_customer(
            customer=request.user,
            invitation_pk=pk,
            score=data.validated_data["score"],
            comment=data.validated_data.get("comment", ""),
            channel=Channel.APP,
        )
        return Response(SurveyScoreAnswerSerializer(answer).data, status=status.HTTP_201_CREATED)
