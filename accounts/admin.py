from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import KnownDevice, LinkedAccount, SecurityEvent, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "phone", "is_staff", "is_active", "date_joined")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name", "phone")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone")}),
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
