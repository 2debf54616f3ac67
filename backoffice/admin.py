from django.contrib import admin

from .models import ApprovalRequest, AuditEvent, Branch, CustomerBranch, StaffProfile


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "address")
    search_fields = ("code", "name")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("employee_number", "user", "branch")
    list_select_related = ("user", "branch")
    search_fields = ("employee_number", "user__email")
    autocomplete_fields = ("user",)


@admin.register(CustomerBranch)
class CustomerBranchAdmin(admin.ModelAdmin):
    list_display = ("user", "branch", "onboarded_by", "created_at")
    list_select_related = ("user", "branch", "onboarded_by")
    list_filter = ("branch",)
    raw_id_fields = ("user", "onboarded_by")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read only: nobody adds, changes or deletes an event here."""

    list_display = ("created_at", "actor", "role", "action", "customer", "outcome")
    list_select_related = ("actor", "customer")
    list_filter = ("action", "outcome")
    search_fields = ("actor__email", "customer__email", "request_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Four-eyes requests, read only: they are decided in the staff portal, by its services."""

    list_display = ("pk", "action", "status", "customer", "requested_by", "requested_at")
    list_select_related = ("customer", "requested_by")
    list_filter = ("action", "status")
    search_fields = ("customer__email", "requested_by__email", "subject")
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
