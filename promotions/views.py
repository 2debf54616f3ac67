from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone

from . import selectors

PAGE_SIZE = 30
VOUCHERS_SHOWN = 50


@login_required
def rewards(request):
    page = Paginator(selectors.rewards_of(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    vouchers = selectors.vouchers_usable(request.user, timezone.now())[:VOUCHERS_SHOWN]
    return render(request, "promotions/rewards.html", {"page": page, "vouchers": vouchers})
