from django.contrib import admin, messages
from modeltranslation.admin import TranslationAdmin

from . import sla
from .admin_kb import *  # noqa: F403
from .admin_surveys import *  # noqa: F403
from .models_classes import ClassRegistration, TrainingClass
from .models_feedback import Feedback
from .models_sla import CalendarDay, SlaPolicy, WorkingHours
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


class HolidaysWarningMixin:
    """The calendar's pages warn when a year's public holidays are not entered yet."""

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            for warning in sla.holiday_warnings():
                messages.warning(request, warning)
        return super().changelist_view(request, extra_context)


@admin.register(WorkingHours)
class WorkingHoursAdmin(HolidaysWarningMixin, admin.ModelAdmin):
    list_display = ("weekday", "opens", "closes")


@admin.register(CalendarDay)
class CalendarDayAdmin(HolidaysWarningMixin, admin.ModelAdmin):
    """Public holidays and make-up working days (调休); add next year's when it is published."""

    list_display = ("date", "kind", "name", "opens", "closes")
    list_filter = ("kind",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(SlaPolicy)
class SlaPolicyAdmin(HolidaysWarningMixin, admin.ModelAdmin):
    list_display = (
        "category",
        "priority",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
    )
    list_filter = ("category", "priority")


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
