from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PromotionsConfig(AppConfig):
    name = "promotions"
    verbose_name = _("Promotions")

    def ready(self):
        from . import receivers, segments, services, vouchers  # noqa: F401  receivers connect

        services.connect()
        vouchers.connect()
        segments.connect()
