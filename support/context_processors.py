from django.utils.functional import SimpleLazyObject

from . import notices

SESSION_DISMISSED = "dismissed_notices"


def notice_banners(request):
    """Active notices for the banner on customer pages: one query, and only when a page shows it.
    Staff pages (their own base) never read it."""
    user = getattr(request, "user", None)

    def load():
        if user is not None and user.is_authenticated and user.is_staff:
            return []
        session = getattr(request, "session", None)
        dismissed = session.get(SESSION_DISMISSED, []) if session is not None else []
        return notices.notices_for_banner(user=user, dismissed_ids=dismissed)

    return {"notice_banners": SimpleLazyObject(load)}
