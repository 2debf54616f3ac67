"""Pages that belong to no single app: the visitors' home, the dashboard shell, preferences, errors."""

from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.context_processors import TEXT_SIZE_COOKIE


def home(request):
    if request.user.is_authenticated:
        return redirect("dashboard")
    return render(request, "home.html")


@require_POST
def text_size(request):
    """Toggle larger text; kept in a cookie for a year so it survives logout."""
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    response = HttpResponseRedirect(target)
    large = request.POST.get("size") == "large"
    response.set_cookie(
        TEXT_SIZE_COOKIE,
        "large" if large else "normal",
        max_age=60 * 60 * 24 * 365,
        samesite="Lax",
        httponly=True,
    )
    return response


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"detail": _("Not found."), "code": "not_found", "errors": {}}, status=404
        )
    return render(request, "404.html", status=404)


def server_error(request):
    if _wants_json(request):
        return JsonResponse(
            {
                "detail": _("Something went wrong on our side."),
                "code": "server_error",
                "errors": {},
            },
            status=500,
        )
    return render(request, "500.html", status=500)


def permission_denied(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {
                "detail": _("You do not have permission to do this."),
                "code": "forbidden",
                "errors": {},
            },
            status=403,
        )
    return render(request, "403.html", status=403)


def bad_request(request, exception=None):
    if _wants_json(request):
        return JsonResponse(
            {"detail": _("Bad request."), "code": "bad_request", "errors": {}}, status=400
        )
    return render(request, "400.html", status=400)
