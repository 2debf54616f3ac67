"""A test-only URLconf: the real site plus endpoints with deliberate access-control and query
defects, so that test_access_matrix.py and test_query_budgets.py show they catch each one.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseForbidden, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as site_urlpatterns
from wallet import selectors
from wallet.models import Entry, PaymentRequest, Transaction


@login_required
def transaction_of_anyone(request, pk: int):
    """Forgets to filter by owner: any logged-in user reads any transaction."""
    txn = Transaction.objects.filter(pk=pk).first()
    if txn is None:
        raise Http404
    return HttpResponse(f"<p>{txn.note}</p><p>{txn.metadata.get('from_wallet', '')}</p>")


@login_required
@require_POST
def cancel_quietly(request, token: str):
    """Refuses with a 404, but only after cancelling someone else's request."""
    PaymentRequest.objects.filter(token=token).update(status=PaymentRequest.Status.CANCELLED)
    if not PaymentRequest.objects.filter(token=token, requester__user=request.user).exists():
        raise Http404
    return HttpResponse("cancelled")


@login_required
def request_oracle(request, token: str):
    """Refuses others, but with 403 for a request that exists and 404 for one that doesn't."""
    payment_request = PaymentRequest.objects.filter(token=token).first()
    if payment_request is None:
        raise Http404
    if payment_request.requester.user_id != request.user.pk:
        return HttpResponseForbidden("not yours")
    return HttpResponse("yours")


@login_required
def history_n_plus_one(request):
    """A list that reads each row's transaction with a query of its own."""
    wallet = selectors.wallet_for(request.user)
    entries = Entry.objects.filter(account__wallet=wallet).order_by("-pk")
    return JsonResponse({"notes": [entry.transaction.note for entry in entries]})


urlpatterns = [
    path("leaky/transactions/<int:pk>/", transaction_of_anyone, name="leaky-transaction"),
    path("leaky/requests/<str:token>/cancel/", cancel_quietly, name="leaky-cancel"),
    path("leaky/requests/<str:token>/", request_oracle, name="leaky-oracle"),
    path("leaky/history/", history_n_plus_one, name="leaky-history"),
    *site_urlpatterns,
]
