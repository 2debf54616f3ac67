"""What promotions undo when a merchant payment is reversed.

The wallet emits TRANSACTION_REVERSED inside the reversal's transaction (it never imports
promotions); the subscriber here only writes an outbox row keyed by the payment, so a second
delivery adds nothing, and the handler runs after commit in that row's transaction, taking its
locks in the usual order (campaign row, grant, points account, ledger accounts):

- a merchant discount or voucher: the reversal already gave the discount back to the campaign's
  pool (it undoes every leg of the payment); here its amount goes back to the budget (`spent`),
  once (`Redemption.reversed_by`). A voucher stays used.
- a first-payment cashback: still pending or failed, it is refused (nothing is paid); already
  paid, it is taken back from the wallet to the pool by a new `reversal` transaction, up to the
  wallet's balance, the rest recorded as `RewardGrant.clawback_shortfall`.
- points earned by the payment: taken back by a new points entry (points.points_clawback).
"""

import logging

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications.services import outbox_enqueue, register_handler
from wallet import events, ledger
from wallet.models import Transaction, Wallet
from wallet.services.common import wallet_account_ensure

from . import points
from .models import Campaign, Redemption, RewardGrant
from .services import campaign_pool_ensure

logger = logging.getLogger(__name__)

PAYMENT_REVERSED = "promotions.payment_reversed"


def queue_payment_reversal(*, transaction_id: int, reversal_id: int) -> None:
    """In the reversal's transaction: a reversed merchant payment gets an outbox row."""
    kind = Transaction.objects.filter(pk=transaction_id).values_list("kind", flat=True).first()
    if kind != Transaction.Kind.PAYMENT:
        return
    outbox_enqueue(
        topic=PAYMENT_REVERSED,
        payload={"transaction_id": transaction_id, "reversal_id": reversal_id},
        dedupe_key=f"promotions-reversal:{transaction_id}",
    )


def payment_reversal_apply(*, transaction_id: int, reversal_id: int) -> None:
    """The outbox handler: each step is idempotent, so a second run changes nothing."""
    payment = Transaction.objects.get(pk=transaction_id)
    reversal = Transaction.objects.get(pk=reversal_id)
    redemption = Redemption.objects.filter(transaction=payment).first()
    if redemption is not None:
        discount_budget_release(redemption_id=redemption.pk, reversal=reversal)
    grant_ids = RewardGrant.objects.filter(source_transaction=payment).order_by("pk")
    for grant_id in grant_ids.values_list("pk", flat=True):
        cashback_take_back(grant_id=grant_id, payment=payment)
    if payment.initiated_by_id is not None:
        points.points_clawback(user_id=payment.initiated_by_id, payment=payment)


def discount_budget_release(*, redemption_id: int, reversal: Transaction) -> None:
    campaign_id = Redemption.objects.values_list("campaign_id", flat=True).get(pk=redemption_id)
    Campaign.objects.select_for_update().get(pk=campaign_id)
    redemption = Redemption.objects.select_for_update().get(pk=redemption_id)
    if redemption.reversed_by_id is not None:
        return
    Campaign.objects.filter(pk=campaign_id).update(spent=F("spent") - redemption.amount)
    redemption.reversed_by = reversal
    redemption.save(update_fields=["reversed_by"])


def cashback_take_back(*, grant_id: int, payment: Transaction) -> RewardGrant:
    campaign_id = RewardGrant.objects.values_list("campaign_id", flat=True).get(pk=grant_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    grant = RewardGrant.objects.select_for_update().get(pk=grant_id)
    reason = _("The payment that qualified it was reversed.")
    if grant.status in (RewardGrant.Status.PENDING, RewardGrant.Status.FAILED):
        if grant.status == RewardGrant.Status.PENDING:  # a failed one gave its reservation back
            Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") - grant.amount)
        grant.status = RewardGrant.Status.REFUSED
        grant.reason = reason
        grant.save(update_fields=["status", "reason"])
        return grant
    if grant.status != RewardGrant.Status.SETTLED or grant.clawback_transaction_id:
        return grant
    if grant.clawback_shortfall:
        return grant  # taken back before, nothing was left to take
    wallet = Wallet.objects.filter(user_id=grant.user_id).first()
    pool = campaign_pool_ensure(campaign=campaign)
    target = wallet_account_ensure(wallet=wallet, currency=grant.currency)
    available = ledger.lock_accounts([pool.pk, target.pk])[target.pk].balance
    take = min(grant.amount, max(available, 0))
    if take > 0:
        txn = ledger.post(
            kind=Transaction.Kind.REVERSAL,
            legs=[ledger.Leg(target, -take), ledger.Leg(pool, take)],
            description=f"Cashback taken back: payment #{payment.pk} reversed"[:200],
            metadata={
                "campaign": campaign.pk,
                "reward_grant": grant.pk,
                "reverses_reward": grant.transaction_id,
                "to_name": campaign.name,
            },
        )
        grant.clawback_transaction = txn
        Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") - take)
        events.emit(events.MONEY_MOVED, transaction_id=txn.pk)  # the usual "money out" alert
    grant.clawback_shortfall = grant.amount - take
    grant.reason = reason
    grant.save(update_fields=["clawback_transaction", "clawback_shortfall", "reason"])
    if grant.clawback_shortfall:
        logger.warning(
            "reward grant %s: %s of the cashback already spent at %s",
            grant.pk,
            grant.clawback_shortfall,
            timezone.now().isoformat(),
        )
    return grant


def connect() -> None:
    events.subscribe(events.TRANSACTION_REVERSED, queue_payment_reversal, in_transaction=True)
    register_handler(PAYMENT_REVERSED, payment_reversal_apply)
