from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from . import selectors

PAGE_SIZE = 30


@login_required
def rewards(request):
    page = Paginator(selectors.rewards_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "promotions/rewards.html", {"page": page})
