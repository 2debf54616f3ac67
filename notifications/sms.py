"""SMS channels: pluggable by setting (SMS_BACKEND). The default prints, the file backend
appends to a file; a real gateway's adapter would be one more class with `send`."""

import logging
from pathlib import Path

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class ConsoleSmsBackend:
    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


class FileSmsBackend:
    def send(self, phone: str, text: str) -> None:
        path = Path(settings.SMS_FILE_PATH)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"{phone}\t{text}\n")


class LocmemSmsBackend:
    """Keeps messages in memory, like Django's locmem e-mail backend (tests read `outbox`)."""

    outbox: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.outbox.append((phone, text))


def sms_backend():
    return import_string(settings.SMS_BACKEND)()
