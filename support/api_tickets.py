"""The customer's ticket API (DESIGN.md: `tickets/`, `tickets/{id}/messages/`), calling the same
services as the pages. `{id}` is the ticket's random reference. Another customer's ticket answers
404, like one that does not exist; internal notes are never in an answer."""

from django.http import Http404
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
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

from . import tickets
from .models_tickets import Ticket
from .tickets import MESSAGE_MAX_LENGTH

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such ticket of yours.")
THROTTLED = OpenApiResponse(
    ErrorSerializer, description="Too many tickets or messages in a minute: `rate_limited`."
)


class AttachmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.IntegerField(source="message_id")
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    download = serializers.SerializerMethodField()

    def get_download(self, obj) -> str:
        return reverse(
            "api:ticket-attachment",
            kwargs={"reference": obj.message.ticket.reference, "pk": obj.pk},
        )


class TicketMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    from_staff = serializers.BooleanField(help_text="Written by the bank (else by you).")
    body = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    attachments = AttachmentSerializer(many=True, source="attachments.all")


class TicketSerializer(serializers.Serializer):
    id = serializers.CharField(source="reference", help_text="The ticket's reference.")
    category = serializers.CharField()
    priority = serializers.CharField(source="get_priority_display")
    subject = serializers.CharField()
    state = serializers.CharField()
    transaction = serializers.IntegerField(source="transaction_id", allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    answer_expected_by = serializers.DateTimeField(
        allow_null=True,
        read_only=True,
        help_text="When to expect the bank's next answer (business hours); null when none is due.",
    )


class TicketDetailSerializer(TicketSerializer):
    messages = TicketMessageSerializer(many=True, source="visible_messages")


class TicketCreateInputSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=Ticket.Category.choices)
    subject = StrictCharField(max_length=200)
    message = StrictCharField(max_length=MESSAGE_MAX_LENGTH)
    transaction = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="A transaction of yours."
    )
    freeze_wallet = serializers.BooleanField(
        required=False, default=False, help_text="Only with `fraud`: freeze your wallet at once."
    )


class MessageInputSerializer(serializers.Serializer):
    body = StrictCharField(max_length=MESSAGE_MAX_LENGTH)


class StateInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=[Ticket.State.OPEN, Ticket.State.CLOSED],
        help_text="`open` reopens a resolved ticket (within 7 days); `closed` closes it.",
    )


def _own_ticket(request, reference: str) -> Ticket:
    ticket = tickets.ticket_of_customer_or_none(customer=request.user, reference=reference)
    if ticket is None:
        raise Http404
    return ticket


def _detail(ticket: Ticket) -> dict:
    ticket.visible_messages = list(tickets.customer_visible_messages(ticket))
    return TicketDetailSerializer(ticket).data


class TicketPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TicketSerializer(many=True)


class TicketListCreateApi(APIView):
    @extend_schema(
        operation_id="tickets_list",
        responses={200: TicketPageSerializer, **READ_ERRORS, 404: NO_SUCH_PAGE},
    )
    def get(self, request):
        paginator = StrictPageNumberPagination()
        page = paginator.paginate_queryset(tickets.tickets_of(request.user), request, view=self)
        return paginator.get_paginated_response(TicketSerializer(page, many=True).data)

    @extend_schema(
        request=TicketCreateInputSerializer,
        responses={201: TicketDetailSerializer, **WRITE_ERRORS, 429: THROTTLED},
    )
    def post(self, request):
        data = TicketCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ticket = tickets.ticket_create(
            customer=request.user,
            category=values["category"],
            subject=values["subject"],
            message=values["message"],
            transaction_id=values.get("transaction"),
            freeze_wallet=values["freeze_wallet"],
        )
        return Response(_detail(ticket), status=status.HTTP_201_CREATED)


class TicketDetailApi(APIView):
    @extend_schema(responses={200: TicketDetailSerializer, **READ_ERRORS, 404: NOT_FOUND})
    def get(self, request, reference):
        return Response(_detail(_own_ticket(request, reference)))


class TicketMessagesApi(APIView):
    @extend_schema(
        responses={200: TicketMessageSerializer(many=True), **READ_ERRORS, 404: NOT_FOUND}
    )
    def get(self, request, reference):
        ticket = _own_ticket(request, reference)
        return Response(
            TicketMessageSerializer(tickets.customer_visible_messages(ticket), many=True).data
        )

    @extend_schema(
        request=MessageInputSerializer,
        responses={201: TicketMessageSerializer, **WRITE_ERRORS, 404: NOT_FOUND, 429: THROTTLED},
    )
    def post(self, request, reference):
        ticket = _own_ticket(request, reference)
        data = MessageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = tickets.ticket_reply_by_customer(
            ticket=ticket, customer=request.user, body=data.validated_data["body"]
        )
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketStateApi(APIView):
    @extend_schema(
        request=StateInputSerializer,
        responses={200: TicketDetailSerializer, **WRITE_ERRORS, 404: NOT_FOUND},
    )
    def post(self, request, reference):
        ticket = _own_ticket(request, reference)
        data = StateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = tickets.ticket_transition(
            ticket=ticket,
            to_state=data.validated_data["state"],
            actor=request.user,
            as_customer=True,
        )
        return Response(_detail(ticket))


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.ListField(
        child=serializers.FileField(),
        min_length=1,
        help_text="One to five photos (JPEG, PNG, WebP) or PDF files, 5 MB each; the type is "
        "read from the content.",
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=MESSAGE_MAX_LENGTH)


class TicketAttachmentsApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(responses={200: AttachmentSerializer(many=True), **READ_ERRORS, 404: NOT_FOUND})
    def get(self, request, reference):
        ticket = _own_ticket(request, reference)
        files = [
            file
            for message in tickets.customer_visible_messages(ticket)
            for file in message.attachments.all()
        ]
        return Response(AttachmentSerializer(files, many=True).data)

    @extend_schema(
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={
            201: TicketMessageSerializer,
            **WRITE_ERRORS,
            404: NOT_FOUND,
            415: OpenApiResponse(ErrorSerializer, description="The body is not multipart."),
            429: THROTTLED,
        },
    )
    def post(self, request, reference):
        ticket = _own_ticket(request, reference)
        data = AttachmentUploadSerializer(
            data={"file": request.FILES.getlist("file"), "body": request.data.get("body", "")}
        )
        data.is_valid(raise_exception=True)
        message = tickets.ticket_reply_by_customer(
            ticket=ticket,
            customer=request.user,
            body=data.validated_data.get("body", ""),
            files=data.validated_data["file"],
        )
        return Response(TicketMessageSerializer(message).data, status=status.HTTP_201_CREATED)


class TicketAttachmentDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            **READ_ERRORS,
            404: NOT_FOUND,
        }
    )
    def get(self, request, reference, pk):
        from .views_tickets import attachment_response

        attachment = tickets.attachment_for_customer_or_none(customer=request.user, pk=pk)
        if attachment is None or attachment.message.ticket.reference != reference:
            raise Http404
        return attachment_response(attachment)
