from django import template

from support import kb

register = template.Library()


@register.filter
def kb_html(text):
    """An article's admin-entered text, sanitised (support.kb.article_html)."""
    return kb.article_html(text)


@register.inclusion_tag("support/kb/includes/tour.html", takes_context=True)
def kb_tour(context):
    """The first-run guided tour: starts by itself for a new customer, or on ?tour=1 (replay)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not user.is_authenticated or user.is_staff:
        return {"show": False}
    replay = request.GET.get("tour") == "1"
    return {"show": replay or kb.tour_due(user=user), "request": request}
