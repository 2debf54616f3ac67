from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Biller,
    DailySeal,
    Entry,
    FundingOrder,
    FxRate,
    LedgerAccount,
    Merchant,
    Transaction,
    TransactionSeal,
    Wallet,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is written only by posting; the admin may look, never touch."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Merchant)
class MerchantAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "is_active", "qr_code")
    list_filter = ("category", "is_active")
    search_fields = ("code", "name")

    @admin.display(description=_("QR code"))
    def qr_code(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("wallet:merchant_qr", args=[obj.code]), _("QR code")
        )


@admin.register(Wallet)
class WalletAdmin(ReadOnlyAdmin):
    list_display = ("handle", "user", "status", "activated_at")
    list_filter = ("status",)
    list_select_related = ("user",)
    search_fields = ("handle", "user__email")


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "currency", "shard", "balance", "wallet", "merchant", "code")
    list_filter = ("kind", "currency")
    list_select_related = ("wallet", "merchant")


class EntryInline(admin.TabularInline):
    model = Entry
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount", "currency")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyAdmin):
    list_display = ("pk", "kind", "status", "initiated_by", "description", "created_at")
    list_filter = ("kind", "status")
    list_select_related = ("initiated_by",)
    search_fields = ("pk", "idempotency_key", "initiated_by__email")
    inlines = [EntryInline]


@admin.register(Biller)
class BillerAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "reference_pattern", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name")


@admin.register(FxRate)
class FxRateAdmin(admin.ModelAdmin):
    list_display = ("currency", "cny_per_unit", "spread_bps", "is_active", "updated_at")
    list_editable = ("cny_per_unit", "spread_bps", "is_active")


@admin.register(FundingOrder)
class FundingOrderAdmin(ReadOnlyAdmin):
    list_display = ("reference", "direction", "status", "amount", "currency", "created_at")
    list_filter = ("direction", "status", "rejection_reason")
    list_select_related = ("wallet",)
    search_fields = ("reference", "initiated_by__email")


@admin.register(TransactionSeal)
class TransactionSealAdmin(ReadOnlyAdmin):
    """The hash chain, link by link: to look up which seal covers a transaction."""

    list_display = ("sequence", "transaction_id", "hash", "sealed_at")
    search_fields = ("=transaction__id", "=sequence", "=hash")
    show_full_result_count = False


@admin.register(DailySeal)
class DailySealAdmin(ReadOnlyAdmin):
    """What auditors keep outside the bank (also `seal_ledger --export-daily`)."""

    list_display = ("date", "last_sequence", "hash", "created_at")
    date_hierarchy = "date"


# --- risk rules (wallet/risk/) -----------------------------------------------------------------

from .risk.models import RiskCase, RiskEvaluation, RiskRule  # noqa: E402


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    """Risk officers configure the rules here; a change applies to the next payment."""

    list_display = (
        "__str__",
        "code",
        "enabled",
        "action",
        "score",
        "kyc_level",
        "amount_threshold",
        "count_threshold",
        "window_minutes",
        "low_risk",
    )
    list_editable = ("enabled", "action")
    list_filter = ("code", "enabled", "action")
    fields = (
        "code",
        "name",
        "enabled",
        "action",
        "score",
        "low_risk",
        "kyc_level",
        "amount_threshold",
        "count_threshold",
        "window_minutes",
        "lookback_days",
    )


@admin.register(RiskEvaluation)
class RiskEvaluationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "kind", "amount", "currency", "outcome", "score")
    list_filter = ("outcome", "kind")
    list_select_related = ("user",)
    date_hierarchy = "created_at"


@admin.register(RiskCase)
class RiskCaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "wallet", "status", "low_risk", "due_at", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("wallet__user", "decided_by")
