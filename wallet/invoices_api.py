"""The e-invoice API (DESIGN.md: `invoice-titles/`, `invoices/`), calling the same services as
the pages (wallet/invoices.py). Another customer's title or invoice answers 404, like one that
does not exist."""

from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
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

from . import invoices
from .invoicing.pdf import invoice_pdf
from .models_invoices import Invoice, InvoiceTitle

AMOUNT = {"max_digits": 20, "decimal_places": 2}
TITLE_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such invoice title of yours.")
INVOICE_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such invoice of yours.")
CONFLICT = OpenApiResponse(
    ErrorSerializer, description="The invoice is not in a state that allows this (see `code`)."
)


class InvoiceTitleSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=InvoiceTitle.Kind.choices)
    name = StrictCharField(max_length=100)
    taxpayer_id = StrictCharField(
        max_length=40,
        required=False,
        allow_blank=True,
        help_text="A company's 18-character unified social credit code (GB 32100-2015).",
    )
    address = StrictCharField(max_length=200, required=False, allow_blank=True)
    phone = StrictCharField(max_length=30, required=False, allow_blank=True)
    bank_name = StrictCharField(max_length=100, required=False, allow_blank=True)
    bank_account = StrictCharField(max_length=40, required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False, default=False)


class InvoiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=Invoice.Kind.choices)
    status = serializers.ChoiceField(choices=Invoice.Status.choices)
    transaction = serializers.IntegerField(source="transaction_id")
    title = serializers.IntegerField(source="title_id", allow_null=True)
    cancels = serializers.IntegerField(source="cancels_id", allow_null=True)
    number = serializers.CharField(allow_null=True, help_text="20 digits, once issued.")
    issued_on = serializers.DateField(allow_null=True)
    seller_name = serializers.CharField()
    seller_taxpayer_id = serializers.CharField()
    buyer_name = serializers.CharField()
    buyer_taxpayer_id = serializers.CharField(allow_blank=True)
    amount = serializers.DecimalField(help_text="Tax included; negative if red.", **AMOUNT)
    currency = serializers.CharField()
    tax_rate = serializers.DecimalField(max_digits=6, decimal_places=4)
    tax_amount = serializers.DecimalField(**AMOUNT)
    failure_message = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_failure_message(self, invoice) -> str:
        return invoices.failure_message(invoice)


class InvoiceRequestSerializer(serializers.Serializer):
    transaction = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of your merchant payment."
    )
    title = serializers.IntegerField(
        min_value=1, max_value=2**63 - 1, help_text="The id of one of your invoice titles."
    )


def _title_or_404(request, pk) -> InvoiceTitle:
    title = invoices.titles_of(request.user).filter(pk=pk).first() if pk <= 2**63 - 1 else None
    if title is None:
        raise Http404
    return title


def _invoice_or_404(request, pk) -> Invoice:
    invoice = invoices.invoice_of(request.user, pk)
    if invoice is None:
        raise Http404
    return invoice


class InvoiceTitleListCreateApi(APIView):
    """GET: your invoice titles, the default first. POST: add one."""

    @extend_schema(responses={200: InvoiceTitleSerializer(many=True), **READ_ERRORS})
    def get(self, request):
        return Response(InvoiceTitleSerializer(invoices.titles_of(request.user), many=True).data)

    @extend_schema(
        request=InvoiceTitleSerializer, responses={201: InvoiceTitleSerializer, **WRITE_ERRORS}
    )
    def post(self, request):
        data = InvoiceTitleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        title = invoices.invoice_title_create(user=request.user, values=data.validated_data)
        return Response(InvoiceTitleSerializer(title).data, status=status.HTTP_201_CREATED)


class InvoiceTitleDetailApi(APIView):
    """GET one title, PUT to change it, DELETE to remove it (issued invoices keep their buyer)."""

    @extend_schema(responses={200: InvoiceTitleSerializer, **READ_ERRORS, 404: TITLE_NOT_FOUND})
    def get(self, request, pk):
        return Response(InvoiceTitleSerializer(_title_or_404(request, pk)).data)

    @extend_schema(
        request=InvoiceTitleSerializer,
        responses={200: InvoiceTitleSerializer, **WRITE_ERRORS, 404: TITLE_NOT_FOUND},
    )
    def put(self, request, pk):
        title = _title_or_404(request, pk)
        data = InvoiceTitleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        title = invoices.invoice_title_update(
            user=request.user, title=title, values=data.validated_data
        )
        return Response(InvoiceTitleSerializer(title).data)

    @extend_schema(
        responses={
            204: None,
            401: READ_ERRORS[401],
            403: WRITE_ERRORS[403],
            404: TITLE_NOT_FOUND,
        }
    )
    def delete(self, request, pk):
        invoices.invoice_title_delete(user=request.user, title=_title_or_404(request, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvoicePagination(StrictPageNumberPagination):
    page_size = 20


class InvoiceListCreateApi(ListAPIView):
    """GET: your e-invoices and red-letter invoices, newest first. POST: request the e-invoice
    of a merchant payment; it is issued asynchronously (`status` requested, then issued or
    failed)."""

    serializer_class = InvoiceSerializer
    pagination_class = InvoicePagination

    @extend_schema(
        responses={200: InvoiceSerializer(many=True), **READ_ERRORS, 404: NO_SUCH_PAGE},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Invoice.objects.none()
        return invoices.invoices_of(self.request.user)

    @extend_schema(
        request=InvoiceRequestSerializer,
        responses={
            201: InvoiceSerializer,
            **WRITE_ERRORS,
            404: OpenApiResponse(ErrorSerializer, description="No such payment of yours."),
        },
    )
    def post(self, request):
        data = InvoiceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = invoices.invoice_request(
            user=request.user,
            transaction_id=data.validated_data["transaction"],
            title_id=data.validated_data["title"],
        )
        invoice.refresh_from_db()
        return Response(InvoiceSerializer(invoice).data, status=status.HTTP_201_CREATED)


class InvoiceDetailApi(APIView):
    @extend_schema(responses={200: InvoiceSerializer, **READ_ERRORS, 404: INVOICE_NOT_FOUND})
    def get(self, request, pk):
        return Response(InvoiceSerializer(_invoice_or_404(request, pk)).data)


class InvoiceRedLetterApi(APIView):
    """Cancel an issued invoice with a red-letter invoice; answers the red-letter invoice."""

    @extend_schema(
        request=None,
        responses={
            201: InvoiceSerializer,
            401: READ_ERRORS[401],
            403: WRITE_ERRORS[403],
            404: INVOICE_NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        red = invoices.invoice_red_letter(user=request.user, invoice=_invoice_or_404(request, pk))
        red.refresh_from_db()
        return Response(InvoiceSerializer(red).data, status=status.HTTP_201_CREATED)


class InvoiceRetryApi(APIView):
    """Try a failed invoice again."""

    @extend_schema(
        request=None,
        responses={
            200: InvoiceSerializer,
            401: READ_ERRORS[401],
            403: WRITE_ERRORS[403],
            404: INVOICE_NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        invoice = invoices.invoice_retry(user=request.user, invoice=_invoice_or_404(request, pk))
        invoice.refresh_from_db()
        return Response(InvoiceSerializer(invoice).data)


class InvoiceEmailApi(APIView):
    """Send the invoice's PDF to your email address."""

    @extend_schema(
        request=None,
        responses={
            202: OpenApiResponse(description="The email is on its way."),
            400: WRITE_ERRORS[400],
            401: READ_ERRORS[401],
            403: WRITE_ERRORS[403],
            404: INVOICE_NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, pk):
        invoices.invoice_email(user=request.user, invoice=_invoice_or_404(request, pk))
        return Response(status=status.HTTP_202_ACCEPTED)


def invoice_pdf_response(invoice: Invoice) -> HttpResponse:
    if invoice.status not in (Invoice.Status.ISSUED, Invoice.Status.CANCELLED):
        raise Http404
    response = HttpResponse(invoice_pdf(invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="e-invoice-{invoice.number}.pdf"'
    return response


class InvoicePdfApi(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            **READ_ERRORS,
            404: OpenApiResponse(
                ErrorSerializer, description="No such issued invoice of yours (not issued yet)."
            ),
        }
    )
    def get(self, request, pk):
        return invoice_pdf_response(_invoice_or_404(request, pk))
