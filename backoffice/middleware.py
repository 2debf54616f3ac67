"""Staff sessions end after a while without activity.

A counter PC left logged in is a way into customers' data, so a staff session (any path: the
back office and the admin alike) ends after settings.BACKOFFICE_IDLE_SECONDS without a request.
Customers keep the normal session age. The last activity is kept in the session itself.
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

LAST_ACTIVITY_KEY = "backoffice_last_activity"


class IdleStaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY)
            if last is not None and now - float(last) > settings.BACKOFFICE_IDLE_SECONDS:
                return self._end(request)
            request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def _end(self, request):
        path = request.get_full_path()
        logout(request)  # flushes the session: the second-factor verification goes with it
        messages.info(
            request,
            _("Your staff session ended after %(minutes)d minutes without activity. Log in again.")
            % {"minutes": settings.BACKOFFICE_IDLE_SECONDS // 60},
        )
        return redirect(f"{reverse('account_login')}?{urlencode({'next': path})}")
