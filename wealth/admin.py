"""Django admin: fund products with their declared yields; holdings and orders read-only."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from config.api_errors import ApplicationError

from . import services
from .models import FundOrder, FundProduct, Holding, SuitabilityAssessment, YieldDeclaration


class YieldFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            instance = form.instance
            if instance.pk and instance.accrued_at and form.has_changed():
                raise ValidationError(_("A yield already paid to customers cannot be changed."))


class YieldDeclarationInline(admin.TabularInline):
    model = YieldDeclaration
    formset = YieldFormSet
    fields = ("date", "per_10k", "annualised_7d", "accrued_at", "holdings_paid", "total_paid")
    readonly_fields = ("accrued_at", "holdings_paid", "total_paid")
    extra = 1
    ordering = ("-date",)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The latest 60 days are enough to edit; older ones are in the list of declared yields.
        return super().get_queryset(request).order_by("-date")


@admin.register(FundProduct)
class FundProductAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "name",
        "currency",
        "risk_level",
        "minimum_amount",
        "instant_quota_per_day",
        "is_active",
    )
    list_filter = ("is_active", "risk_level")
    fields = (
        "code",
        "name",
        "name_en",
        "currency",
        "risk_level",
        "minimum_amount",
        "instant_quota_per_day",
        "is_active",
    )
    inlines = [YieldDeclarationInline]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            services.product_save(product=obj)
        except ApplicationError as error:
            raise ValidationError(str(error.detail)) from error


@admin.register(YieldDeclaration)
class YieldDeclarationAdmin(admin.ModelAdmin):
    list_display = ("product", "date", "per_10k", "annualised_7d", "accrued_at", "holdings_paid")
    list_filter = ("product",)
    date_hierarchy = "date"
    readonly_fields = ("accrued_at", "holdings_paid", "total_paid")

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.accrued_at is not None:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Holding)
class HoldingAdmin(ReadOnlyAdmin):
    list_display = ("user", "product", "account", "created_at")
    list_select_related = ("user", "product", "account")
    raw_id_fields = ("user", "account")


@admin.register(FundOrder)
class FundOrderAdmin(ReadOnlyAdmin):
    list_display = ("pk", "user", "kind", "mode", "amount", "currency", "status", "settle_on")
    list_filter = ("kind", "mode", "status")
    list_select_related = ("user",)
    raw_id_fields = ("user", "holding", "transaction", "settlement_transaction")


@admin.register(SuitabilityAssessment)
class SuitabilityAssessmentAdmin(ReadOnlyAdmin):
    list_display = ("user", "risk_tolerance", "score", "assessed_at", "expires_at")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
