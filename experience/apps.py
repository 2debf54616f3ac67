from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "experience"
    verbose_name = _("Experience mode")

    def ready(self):
        from backoffice import home_cards

        from .cards import experience_card
        from .roles import EXPERIENCE_ROLES

        for role in EXPERIENCE_ROLES:
            home_cards.register(role, experience_card)
