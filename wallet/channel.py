"""The channel a money movement came through: web pages, the app (REST API) or a branch counter.

No service signature carries it: a middleware sets a context variable per request, and
`ledger.post` writes it into the new transaction's metadata (before posting, so it is part of
the sealed content). Work outside a request (Celery, commands) records no channel; such
transactions, like those posted before channels were recorded, count as web in the KPIs.
"""

from contextvars import ContextVar

WEB = "web"
APP = "app"
COUNTER = "counter"
CHANNELS = (WEB, APP, COUNTER)

current_channel: ContextVar[str | None] = ContextVar("wallet_channel", default=None)


def channel_for_path(path: str) -> str:
    if path.startswith("/api/"):
        return APP
    if path.startswith("/backoffice/"):
        return COUNTER
    return WEB


class ChannelMiddleware:
    """Sets the channel of the request for the ledger (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_channel.set(channel_for_path(request.path_info))
        try:
            return self.get_response(request)
        finally:
            current_channel.reset(token)
