from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .admin_kb import *  # noqa: F403
from .models_classes import ClassRegistration, TrainingClass
from .models_feedback import Feedback
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


@admin.register(TrainingClass)
class TrainingClassAdmin(TranslationAdmin):
    """Campaign admins schedule classes; seats and attendance are the services' (read-only)."""

    list_display = ("title", "mode", "branch", "language", "starts_at", "capacity", "published")
    list_filter = ("mode", "language", "published", "branch")
    search_fields = ("title", "description")
    date_hierarchy = "starts_at"
    list_select_related = ("branch",)


@admin.register(ClassRegistration)
class ClassRegistrationAdmin(admin.ModelAdmin):
    list_display = ("training_class", "customer", "status", "attended", "reminded_at")
    list_filter = ("status", "attended")
    list_select_related = ("training_class", "customer")
    readonly_fields = [f.name for f in ClassRegistration._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "rating", "page")
    list_filter = ("kind", "rating")
    readonly_fields = [f.name for f in Feedback._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
