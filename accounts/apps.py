from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from notifications.models import Notification
        from notifications.services import register_channel_decider, register_handler

        from . import receivers  # noqa: F401  (connects login signals to services)
        from .services import NEW_DEVICE_ALERT, new_device_alert_send

        register_handler(NEW_DEVICE_ALERT, new_device_alert_send)

        from .linking import LINKED_ACCOUNT_ALERT, linked_account_alert_send

        register_handler(LINKED_ACCOUNT_ALERT, linked_account_alert_send)

        from .consent import marketing_channels

        register_channel_decider(Notification.Kind.MARKETING, marketing_channels)
