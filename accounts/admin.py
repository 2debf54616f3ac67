from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import IdentityDocument, KnownDevice, LinkedAccount, SecurityEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "phone", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name", "phone")
    # Set by the verification flows only (accounts.kyc), which keep their trail.
    readonly_fields = ("phone_verified_at", "kyc_level")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "phone_verified_at", "kyc_level")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "ip_address")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__email",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(KnownDevice)
class KnownDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "user_agent", "first_seen", "last_seen")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    readonly_fields = ("token_hash",)


@admin.register(LinkedAccount)
class LinkedAccountAdmin(admin.ModelAdmin):
    """For looking a source up; links and changes go through the customer's own pages."""

    list_display = ("user", "bank", "kind", "last4", "status", "is_default", "created_at")
    list_filter = ("status", "kind", "bank")
    list_select_related = ("user",)
    search_fields = ("user__email", "last4")
    exclude = ("token",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(admin.ModelAdmin):
    """Read-only and masked: documents are recorded by the customer or checked at a branch
    (accounts.kyc), never typed in here, and the admin is no place to read them in full."""

    list_display = ("user", "document_type", "number_masked", "recorded_at", "verified_at")
    list_filter = ("document_type",)
    list_select_related = ("user",)
    search_fields = ("user__email",)
    fields = ("user", "document_type", "number_masked", "recorded_at", "verified_at", "verified_by")
    readonly_fields = fields

    @admin.display(description=_("document number"))
    def number_masked(self, obj):
        return obj.number_masked

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
