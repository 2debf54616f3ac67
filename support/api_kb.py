"""Knowledge-base API: `faq/?q=` (search, or the FAQ list), `tutorials/` and a tutorial's steps,
votes and "this solved my problem". Same services as the help pages (support.kb). Readable
without logging in, like the pages: the content is public."""

from django.templatetags.static import static
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import NO_SUCH_PAGE, READ_ERRORS, WRITE_ERRORS, ErrorSerializer

from . import kb, notices
from .models_kb import Article, Notice, SelfHelpOutcome


@extend_schema_field(OpenApiTypes.STR)
class KbHtmlField(serializers.Field):
    """Sanitised HTML of an admin-entered text (the same as the pages show)."""

    def to_representation(self, value):
        return str(kb.article_html(value))


@extend_schema_field(OpenApiTypes.STR)
class StaticUrlField(serializers.Field):
    def to_representation(self, value):
        return static(value) if value else ""


class ArticleListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    kind = serializers.ChoiceField(choices=Article.Kind.choices)
    category = serializers.CharField(source="category.name")
    title = serializers.CharField()
    summary = serializers.CharField()
    helpful_count = serializers.IntegerField()
    unhelpful_count = serializers.IntegerField()


class FaqSerializer(ArticleListSerializer):
    body_html = KbHtmlField(source="body", help_text="Sanitised HTML.")
    score = serializers.IntegerField(
        required=False, help_text="Search rank (only with q): higher matches better."
    )


class StepSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    title = serializers.CharField()
    body_html = KbHtmlField(source="body")
    image_url = StaticUrlField(source="image_path")
    image_alt = serializers.CharField()


class TutorialSerializer(ArticleListSerializer):
    body_html = KbHtmlField(source="body")
    video_url = StaticUrlField(source="video_path")
    captions_url = StaticUrlField(source="captions_path", help_text="A WebVTT captions track.")
    steps = StepSerializer(many=True)


class FaqListApi(ListAPIView):
    """With `q`: published articles of every kind matching the question (Chinese or English),
    best first, at most 20. Without: the published FAQ entries, by category."""

    permission_classes = (AllowAny,)
    serializer_class = FaqSerializer
    filter_backends = ()

    def get_queryset(self):
        query = kb.search_query_parse(self.request.query_params.get("q"))
        if query.text:
            return kb.article_search(query=query)
        return kb.published_articles().filter(kind=Article.Kind.FAQ)

    @extend_schema(
        operation_id="faq_list",
        parameters=[
            OpenApiParameter(
                "q", str, description="A question in Chinese or English (at most 200 characters)."
            )
        ],
        responses={200: FaqSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TutorialListApi(ListAPIView):
    permission_classes = (AllowAny,)
    serializer_class = ArticleListSerializer
    filter_backends = ()

    def get_queryset(self):
        return kb.published_articles().filter(kind=Article.Kind.TUTORIAL)

    @extend_schema(
        operation_id="tutorials_list",
        responses={200: ArticleListSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class TutorialDetailApi(APIView):
    permission_classes = (AllowAny,)

    @extend_schema(
        operation_id="tutorials_retrieve",
        responses={
            200: TutorialSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No such published tutorial."),
            **READ_ERRORS,
        },
    )
    def get(self, request, slug):
        try:
            item = kb.article_for_reader(slug=slug)
        except Article.DoesNotExist:
            raise NotFound(_("No such tutorial.")) from None
        if item.kind != Article.Kind.TUTORIAL:
            raise NotFound(_("No such tutorial."))
        return Response(TutorialSerializer(item).data)


class VoteInputSerializer(serializers.Serializer):
    helpful = serializers.BooleanField()


class VoteApi(APIView):
    """ "Was this helpful?" on a published article: once per customer."""

    @extend_schema(
        operation_id="faq_vote",
        request=VoteInputSerializer,
        responses={
            201: OpenApiResponse(description="Counted."),
            404: OpenApiResponse(ErrorSerializer, description="No such published article."),
            409: OpenApiResponse(ErrorSerializer, description="Already voted on this article."),
            **WRITE_ERRORS,
        },
    )
    def post(self, request, pk):
        item = Article.objects.filter(pk=pk, status=Article.Status.PUBLISHED).first()
        if item is None:
            raise NotFound(_("No such article."))
        data = VoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kb.article_vote(article=item, helpful=data.validated_data["helpful"], user=request.user)
        return Response({"helpful": data.validated_data["helpful"]}, status=status.HTTP_201_CREATED)


class OutcomeInputSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=SelfHelpOutcome.Outcome.choices)
    article = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Needed when solved."
    )
    q = serializers.CharField(required=False, allow_blank=True, max_length=kb.QUERY_MAX_LENGTH)


class OutcomeApi(APIView):
    """Ends a self-help flow: `solved` (this article solved my problem) or `escalated`."""

    @extend_schema(
        operation_id="faq_outcome",
        request=OutcomeInputSerializer,
        responses={201: OpenApiResponse(description="Counted."), **WRITE_ERRORS},
    )
    def post(self, request):
        data = OutcomeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        item = None
        if values.get("article"):
            item = Article.objects.filter(
                pk=values["article"], status=Article.Status.PUBLISHED
            ).first()
            if item is None:
                data_error = _("No such article.")
                raise serializers.ValidationError({"article": [data_error]})
        kb.self_help_outcome_record(
            outcome=values["outcome"], article=item, user=request.user, query=values.get("q", "")
        )
        return Response({"outcome": values["outcome"]}, status=status.HTTP_201_CREATED)


# --- Notices (风险提示) ---------------------------------------------------------------------


class NoticeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Notice.Kind.choices)
    title = serializers.CharField()
    body = serializers.CharField(help_text="Plain text.")
    published_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)


class AnnouncementListApi(ListAPIView):
    """Security and service notices in force, newest first."""

    permission_classes = (AllowAny,)
    serializer_class = NoticeSerializer
    filter_backends = ()

    def get_queryset(self):
        return notices.active_notices()

    @extend_schema(
        operation_id="announcements_list",
        responses={200: NoticeSerializer(many=True), 404: NO_SUCH_PAGE, **READ_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
