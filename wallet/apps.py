from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WalletConfig(AppConfig):
    name = "wallet"
    verbose_name = _("Wallet")

    def ready(self):
        from accounts.webauthn import register_passkey_check_handler

        from .stepup import passkey_approves_pending_payment

        register_passkey_check_handler(passkey_approves_pending_payment)

        from . import alerts

        alerts.connect()

        from . import privacy

        privacy.connect()

        from .risk import services as risk_services

        risk_services.connect()

        from . import invoices

        invoices.connect()
