from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WealthConfig(AppConfig):
    name = "wealth"
    verbose_name = _("Wealth")
