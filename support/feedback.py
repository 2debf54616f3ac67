"""In-app feedback: a customer's suggestion, problem or praise from any page; the support lead's
list with filters and its CSV.

The page it came from is kept as a path only: a query string is cut off (it may carry a search,
a token or an amount), and anything that is not a local path is dropped. The text is stored as
written and always shown escaped (markup is text). Creation is rate limited per customer like
tickets (support/tickets.py).
"""

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from config.ratelimit import hits_in_last_minute

from .models_feedback import FEEDBACK_MAX_LENGTH, Feedback

PAGE_MAX_LENGTH = 255


def _refuse(message, *, field: str | None = None, code: str = "invalid", status_code=None):
    raise ApplicationError(
        message, code=code, fields={field: [message]} if field else {}, status_code=status_code
    )


def page_path_of(raw: str | None) -> str:
    """The path of the page a feedback came from: no scheme, host, query or fragment."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    parts = urlsplit(raw)
    path = parts.path
    if parts.scheme or parts.netloc or not path.startswith("/") or path.startswith("//"):
        return ""
    if "\\" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        return ""
    return path[:PAGE_MAX_LENGTH]


@transaction.atomic
def feedback_create(
    *, customer, kind: str, text: str, rating: int | None = None, page: str = ""
) -> Feedback:
    if kind not in Feedback.Kind.values:
        _refuse(_("Choose what kind of feedback this is."), field="kind")
    text = (text or "").strip()
    if not text:
        _refuse(_("Write your feedback."), field="text")
    if len(text) > FEEDBACK_MAX_LENGTH:
        _refuse(
            _("Feedback has at most %(n)s characters.") % {"n": FEEDBACK_MAX_LENGTH}, field="text"
        )
    if rating is not None and (isinstance(rating, bool) or rating not in range(1, 6)):
        _refuse(_("A rating is from 1 to 5."), field="rating")
    if (
        hits_in_last_minute(f"support:feedback:{customer.pk}")
        >= settings.SUPPORT_FEEDBACK_PER_MINUTE
    ):
        _refuse(
            _(
                "You sent feedback several times in a short time. Please wait a minute and try again."
            ),
            code="rate_limited",
            status_code=429,
        )
    return Feedback.objects.create(
        customer=customer, kind=kind, text=text, rating=rating, page=page_path_of(page)
    )


def feedback_of(customer) -> QuerySet[Feedback]:
    return Feedback.objects.filter(customer=customer).order_by("-created_at", "-pk")


def feedback_for_staff(
    *,
    kind: str | None = None,
    rating: int | None = None,
    since: date | None = None,
    until: date | None = None,
    text: str = "",
) -> QuerySet[Feedback]:
    """Every customer's feedback, newest first, filtered; the customer joined in (one query)."""
    queryset = Feedback.objects.select_related("customer").order_by("-created_at", "-pk")
    if kind:
        queryset = queryset.filter(kind=kind)
    if rating:
        queryset = queryset.filter(rating=rating)
    if since:
        queryset = queryset.filter(
            created_at__gte=timezone.make_aware(datetime.combine(since, time.min))
        )
    if until:
        queryset = queryset.filter(
            created_at__lt=timezone.make_aware(
                datetime.combine(until + timedelta(days=1), time.min)
            )
        )
    if text:
        queryset = queryset.filter(text__icontains=text)
    return queryset
