from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support")

    def ready(self):
        from notifications.services import register_handler

        from . import notices

        register_handler(notices.FANOUT_TOPIC, notices.notice_fanout_batch)

        from . import tickets

        tickets.connect()

        from . import surveys

        surveys.connect()
        from . import classes

        classes.connect()
        from . import chat

        chat.connect()
