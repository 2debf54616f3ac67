"""Project-wide request middleware that belongs to no single app."""

from django.db import connection
from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    """pghistory's middleware (the user and URL behind each history row), on PostgreSQL only:
    on SQLite there are no history triggers, and the context it injects into SQL would break."""

    def __call__(self, request):
        if connection.vendor != "postgresql":
            return self.get_response(request)
        return super().__call__(request)
