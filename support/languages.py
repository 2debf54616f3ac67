"""The customer's language for what support tells them later, out of any request.

Customers have no stored language preference (accounts keeps none): the language of a page is
the one LocaleMiddleware picked for the request (their cookie or browser). What support sends
later, from a periodic task or the outbox (a class reminder, a chat's closing line), is written
in the language the customer was using when they asked for it (registered, started the chat):
the service records `language_now()` on the row, and the sender renders inside
`speaking(row.language)`. A row recorded before there was a language reads in the default one.
"""

from contextlib import AbstractContextManager

from django.conf import settings
from django.utils import translation


def language_now() -> str:
    """The active language as one of settings.LANGUAGES' codes ("zh-hans", "en")."""
    code = translation.get_language() or settings.LANGUAGE_CODE
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return settings.LANGUAGE_CODE


def speaking(language: str) -> AbstractContextManager:
    """Render inside this to write in `language` (the default language when it is empty)."""
    return translation.override(language or settings.LANGUAGE_CODE)
