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

        from .services import SECOND_FACTOR_RESET_ALERT, second_factor_reset_alert_send

        register_handler(SECOND_FACTOR_RESET_ALERT, second_factor_reset_alert_send)

        from .linking import LINKED_ACCOUNT_ALERT, linked_account_alert_send

        register_handler(LINKED_ACCOUNT_ALERT, linked_account_alert_send)

        from .kyc import KYC_LEVEL_RAISED, kyc_level_raised_send

        register_handler(KYC_LEVEL_RAISED, kyc_level_raised_send)

        from .consent import marketing_channels

        register_channel_decider(Notification.Kind.MARKETING, marketing_channels)

        # The data export and account closure: accounts' own sections and blockers register
        # on import; notifications (below accounts) has its export section plugged in here.
        from notifications.export import notifications_export

        from .closure import ACCOUNT_CLOSED_ALERT, account_closed_notice_send
        from .data_export import register_export_section

        register_export_section("notifications", notifications_export)
        register_handler(ACCOUNT_CLOSED_ALERT, account_closed_notice_send)
