"""The notifications part of a customer's data export: the inbox, the channel choices and the
delivery log (channel, outcome and the masked address; never a provider's credentials).

accounts/data_export.py plugs it in: notifications, at the bottom, imports no other app.
"""

from django.utils import timezone

from .models import ChannelPreference, Delivery, Notification


def _iso(moment):
    return timezone.localtime(moment).isoformat() if moment else None


def notifications_export(user) -> dict:
    return {
        "inbox": [
            {
                "id": pk,
                "kind": kind,
                "title": title,
                "body": body,
                "created_at": _iso(created_at),
                "read_at": _iso(read_at),
            }
            for pk, kind, title, body, created_at, read_at in Notification.objects.filter(user=user)
            .order_by("created_at", "id")
            .values_list("pk", "kind", "title", "body", "created_at", "read_at")
        ],
        "channel_preferences": [
            {"kind": kind, "channel": channel, "enabled": enabled}
            for kind, channel, enabled in ChannelPreference.objects.filter(user=user)
            .order_by("kind", "channel")
            .values_list("kind", "channel", "enabled")
        ],
        "deliveries": [
            {
                "notification_id": notification_id,
                "channel": channel,
                "status": status,
                "sent_to": detail,
                "at": _iso(created_at),
            }
            for notification_id, channel, status, detail, created_at in Delivery.objects.filter(
                notification__user=user
            )
            .order_by("created_at", "id")
            .values_list("notification_id", "channel", "status", "detail", "created_at")
        ],
    }
