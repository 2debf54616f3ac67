"""Opening a wallet."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .. import events
from ..models import Wallet
from .common import refuse_unless_active, wallet_account_ensure


@transaction.atomic(durable=True)
def wallet_activate(*, user) -> Wallet:
    """The customer's explicit step that opens the wallet (and that promotions reward)."""
    return wallet_activate_within(user=user)


@transaction.atomic
def wallet_activate_within(*, user) -> Wallet:
    """wallet_activate as one part of a larger transaction that must keep or lose everything
    together (a branch's onboarding creates the customer and opens the wallet at once). It moves
    no money itself: the activation event's in-transaction subscribers only write outbox rows."""
    wallet, _created = Wallet.objects.select_for_update().get_or_create(user=user)
    if wallet.status == Wallet.Status.ACTIVE:
        return wallet
    if wallet.status != Wallet.Status.INACTIVE:
        refuse_unless_active(wallet, field="wallet", own=True)
    wallet.status = Wallet.Status.ACTIVE
    wallet.activated_at = timezone.now()
    wallet.save(update_fields=["status", "activated_at"])
    wallet_account_ensure(wallet=wallet, currency=settings.WALLET_DEFAULT_CURRENCY)
    events.emit(events.WALLET_ACTIVATED, wallet_id=wallet.pk, user_id=user.pk)
    return wallet
