"""Approving a large payment with a passkey on the confirmation page.

When a confirmation page asks for step-up, it keeps the challenge in the session; a passkey
check the customer then passes on that page verifies exactly that challenge, and the page's
script sends the payment again with it.
"""

from . import services

SESSION_KEY = "wallet_step_up_challenge"


def remember_pending(request, token: str | None) -> None:
    if token:
        request.session[SESSION_KEY] = token


def passkey_approves_pending_payment(request, device) -> bool:
    token = request.session.pop(SESSION_KEY, None)
    if not token:
        return False
    return services.step_up_verify_by_passkey(user=request.user, token=token) is not None
