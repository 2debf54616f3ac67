"""Opening a wallet, and freezing and unfreezing it."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError

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


def _wallet_locked(wallet_id: int) -> Wallet:
    # The wallet row is what every payment locks and checks (refuse_unless_active): changing
    # its status under the same lock makes a freeze apply to the very next payment.
    return Wallet.objects.select_for_update().get(pk=wallet_id)


@transaction.atomic
def wallet_freeze(*, wallet: Wallet) -> Wallet:
    """Stop every payment out of and into the wallet at once (staff action, audited by them)."""
    wallet = _wallet_locked(wallet.pk)
    if wallet.status != Wallet.Status.ACTIVE:
        message = _("Only an active wallet can be frozen; this one is %(status)s.") % {
            "status": wallet.get_status_display()
        }
        raise ApplicationError(message, code="wallet_not_active", fields={"wallet": [message]})
    wallet.status = Wallet.Status.FROZEN
    wallet.save(update_fields=["status"])
    return wallet


def wallet_unfreeze_check(*, wallet: Wallet) -> None:
    if wallet.status != Wallet.Status.FROZEN:
        message = _("The wallet is not frozen (it is %(status)s).") % {
            "status": wallet.get_status_display()
        }
        raise ApplicationError(message, code="wallet_not_frozen", fields={"wallet": [message]})


@transaction.atomic
def wallet_unfreeze(*, wallet: Wallet) -> Wallet:
    """Let a frozen wallet pay and receive again (after a second staff member approved it)."""
    wallet = _wallet_locked(wallet.pk)
    wallet_unfreeze_check(wallet=wallet)
    wallet.status = Wallet.Status.ACTIVE
    wallet.save(update_fields=["status"])
    return wallet
