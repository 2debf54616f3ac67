from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WealthConfig(AppConfig):
    name = "wealth"
    verbose_name = _("Wealth")

    def ready(self):
        # Wealth stands above promotions: its products join "offers for you" (promotions/offers.py).
        from . import offers

        offers.connect()
