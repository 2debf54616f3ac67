from django import template

from support import kb

register = template.Library()


@register.filter
def kb_html(text):
    """An article's admin-entered text, sanitised (support.kb.article_html)."""
    return kb.article_html(text)


@register.inclusion_tag("support/kb/includes/tour.html", takes_context=True)
def kb_tour(context):
    """The first-run guided tour. A new customer is offered it in the page (start, or no thanks),
    so it never covers the page uninvited; ?tour=1 (the offer's link, and the help page's replay)
    runs it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated or user.is_staff:
        return {"run": False, "offer": False}
    run = request.GET.get("tour") == "1"
    return {"run": run, "offer": not run and kb.tour_due(user=user), "request": request}
