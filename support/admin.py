from django.contrib import admin

from .admin_kb import *  # noqa: F403
from .admin_surveys import *  # noqa: F403
from .models_tickets import CannedReply, Ticket, TicketEvent, TicketMessage


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ("title", "active")
    list_filter = ("active",)
    search_fields = ("title", "body")


class TicketMessageInline(admin.TabularInline):
    model = TicketMessage
    fields = ("created_at", "from_staff", "internal", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ("created_at", "kind", "from_state", "to_state", "actor")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only: tickets are worked in the staff portal, through the services."""

    list_display = ("reference", "subject", "category", "priority", "state", "created_at")
    list_filter = ("state", "category", "priority")
    search_fields = ("reference",)
    readonly_fields = (
        "reference",
        "customer",
        "category",
        "priority",
        "subject",
        "state",
        "transaction",
        "assignee",
        "escalated_at",
        "created_at",
        "updated_at",
        "resolved_at",
        "closed_at",
    )
    inlines = [TicketMessageInline, TicketEventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
