from django.contrib import admin

from .models import Delivery, Notification, OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("pk", "topic", "status", "attempts", "created_at", "processed_at")
    list_filter = ("status", "topic")
    search_fields = ("dedupe_key",)
    readonly_fields = (
        "topic",
        "payload",
        "dedupe_key",
        "attempts",
        "last_error",
        "created_at",
        "processed_at",
    )


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    readonly_fields = ("channel", "status", "detail", "created_at")
    can_delete = False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("pk", "user", "kind", "title", "created_at", "read_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    search_fields = ("user__email", "title")
    inlines = [DeliveryInline]
