"""Help pages for customers (and visitors): the knowledge base, search, suggestions, the tour."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from config.api_errors import ApplicationError

from . import kb, notices
from .context_processors import SESSION_DISMISSED
from .models_kb import Article, SelfHelpOutcome


def _session_key(request) -> str:
    if not request.session.session_key:
        request.session.save()
    return request.session.session_key


@require_GET
def help_home(request):
    categories = kb.categories_with_articles(kind=Article.Kind.FAQ)
    tutorials = list(kb.published_articles().filter(kind=Article.Kind.TUTORIAL))
    guides = list(kb.published_articles().filter(kind=Article.Kind.GUIDE)[:6])
    return render(
        request,
        "support/kb/home.html",
        {"categories": categories, "tutorials": tutorials, "guides": guides},
    )


@require_GET
def search(request):
    query = kb.search_query_parse(request.GET.get("q"))
    results = list(kb.article_search(query=query)) if query.words else []
    return render(request, "support/kb/search.html", {"query": query, "results": results})


@require_GET
def suggest(request):
    """Suggestions while a customer types: a fragment for htmx (or any fetch), from `q`, or from
    the `subject` and `message` fields of the form that embeds it (the ticket form)."""
    raw = request.GET.get("q") or " ".join(
        request.GET.get(name, "") for name in ("subject", "message")
    )
    query = kb.search_query_parse(raw)
    if not request.htmx:  # opened as a page (no script): the search page shows the same answers
        return redirect(f"{reverse('kb:search')}?{urlencode({'q': query.text})}")
    results = list(kb.article_search(query=query, limit=kb.SUGGESTION_LIMIT))
    return render(
        request, "support/kb/includes/suggestions.html", {"query": query, "results": results}
    )


@require_GET
def article(request, slug):
    try:
        item = kb.article_for_reader(slug=slug)
    except Article.DoesNotExist:
        raise Http404 from None
    if item.kind == Article.Kind.GUIDE:
        return redirect(f"{reverse('kb:security')}#{item.slug}")
    voted = kb.has_voted(
        article=item, user=request.user, session_key=request.session.session_key or ""
    )
    query = kb.search_query_parse(request.GET.get("q"))
    return render(
        request,
        "support/kb/article.html",
        {"article": item, "voted": voted, "query": query, "steps": list(item.steps.all())},
    )


@require_GET
def security_guide(request):
    sections = list(kb.published_articles().filter(kind=Article.Kind.GUIDE))
    return render(request, "support/kb/security.html", {"sections": sections})


@require_POST
def vote(request, slug):
    item = get_object_or_404(Article, slug=slug, status=Article.Status.PUBLISHED)
    helpful = request.POST.get("helpful")
    if helpful not in ("yes", "no"):
        messages.error(request, _("Choose yes or no."))
    else:
        try:
            kb.article_vote(
                article=item,
                helpful=helpful == "yes",
                user=request.user,
                session_key=_session_key(request),
            )
            messages.success(request, _("Thank you for your feedback."))
        except ApplicationError as error:
            messages.info(request, str(error.detail))
    return redirect(_article_url(item))


def _article_url(item: Article) -> str:
    if item.kind == Article.Kind.GUIDE:
        return f"{reverse('kb:security')}#{item.slug}"
    return reverse("kb:article", args=[item.slug])


def contact_url() -> str:
    """Where "I still need help" leads: the ticket form when the tickets part is installed."""
    try:
        return reverse(getattr(settings, "SUPPORT_CONTACT_URL_NAME", "support:ticket_new"))
    except NoReverseMatch:
        return reverse("kb:home") + "#contact"


@require_POST
def outcome(request):
    """Ends a self-help flow: "this solved my problem" or "I still need help"."""
    choice = request.POST.get("outcome")
    item = None
    article_id = request.POST.get("article", "")
    if article_id.isdigit() and len(article_id) < 12:
        item = Article.objects.filter(pk=int(article_id), status=Article.Status.PUBLISHED).first()
    try:
        kb.self_help_outcome_record(
            outcome=choice or "", article=item, user=request.user, query=request.POST.get("q", "")
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("kb:home")
    if choice == SelfHelpOutcome.Outcome.SOLVED:
        messages.success(request, _("Glad we could help. Come back any time."))
        return redirect("kb:home")
    messages.info(request, _("Tell us what happened and we will help you."))
    return redirect(contact_url())


@login_required
@require_POST
def tour_done(request):
    kb.tour_finish(user=request.user)
    if request.headers.get("X-Requested-With") == "fetch":
        return HttpResponse(status=204)
    return redirect("dashboard")


# --- Notices (风险提示) ---------------------------------------------------------------------


@require_GET
def notice(request, pk):
    item = get_object_or_404(notices.active_notices(), pk=pk)
    return render(request, "support/kb/notice.html", {"notice": item})


@require_POST
def notice_dismiss(request, pk):
    item = get_object_or_404(notices.active_notices(), pk=pk)
    if request.user.is_authenticated:
        notices.notice_dismiss(notice=item, user=request.user)
    else:
        dismissed = request.session.get(SESSION_DISMISSED, [])
        if item.pk not in dismissed:
            request.session[SESSION_DISMISSED] = [*dismissed, item.pk][-50:]
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("kb:home")
    return redirect(target)
