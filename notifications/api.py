from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api_errors import NO_SUCH_PAGE, READ_ERRORS, WRITE_ERRORS

from . import selectors, services


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    link = serializers.CharField()
    read = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_read(self, obj) -> bool:
        return obj.read_at is not None


class MarkReadInputSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        max_length=500,
        help_text="Leave out to mark every notification read.",
    )


class MarkReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField()
    unread = serializers.IntegerField()


class NotificationListApi(ListAPIView):
    serializer_class = NotificationSerializer
    filter_backends: list = []

    @extend_schema(
        responses={200: NotificationSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE}
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return selectors.inbox(self.request.user)


class NotificationMarkReadApi(APIView):
    @extend_schema(
        request=MarkReadInputSerializer,
        responses={200: MarkReadSerializer, **WRITE_ERRORS},
    )
    def post(self, request):
        data = MarkReadInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user=request.user, ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked, "unread": selectors.unread_count(request.user)})
