from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Back office")

    def ready(self):
        from notifications.services import register_handler

        from .staff_actions import (
            CUSTOMER_NOTICE,
            customer_security_notice_send,
            register_approval_actions,
        )

        register_approval_actions()

        from . import customer_actions

        customer_actions.register_approval_actions()
        register_handler(CUSTOMER_NOTICE, customer_security_notice_send)

        from . import cash_services

        cash_services.connect()

        from .break_glass import BREAK_GLASS_ALERT, break_glass_alert_send
        from .cards import register_cards

        register_handler(BREAK_GLASS_ALERT, break_glass_alert_send)
        register_cards()

        from . import reconciliation

        reconciliation.register_approval_actions()
        reconciliation.register_cards()

        from promotions.audit import register_money_action_recorder

        from .services import campaign_money_action_record

        register_money_action_recorder(campaign_money_action_record)
        from .risk_review import register_cards as register_risk_cards

        register_risk_cards()
        from .cards_tickets import register_cards as register_ticket_cards

        register_ticket_cards()
        from .cards_surveys import register_cards as register_survey_cards

        register_survey_cards()
        from .cards_chat import register_cards as register_chat_cards

        register_chat_cards()
