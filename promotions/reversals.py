"""What promotions undo when a merchant payment is reversed.

The wallet emits TRANSACTION_REVERSED inside the reversal's transaction (it never imports
promotions); the subscriber here only writes an outbox row keyed by the payment, so a second
delivery adds nothing, and the handler runs after commit in that row's transaction. Every step
is idempotent on its own too (it locks its row and returns if that row has moved on), so the
handler run twice, even at the same time, acts once. Lock order: voucher row (as at payment
time), campaign row, referral row, grant, points account, ledger accounts.

- a merchant discount or voucher: the reversal already gave the discount back to the campaign's
  pool (it undoes every leg of the payment); here its amount goes back to the budget (`spent`),
  once (`Redemption.reversed_by`, which also takes it out of the campaign's results).
- a voucher used at the payment is given back: usable again (`available`, its payment and
  use time cleared) if it has not expired, else `expired`; the reversed `Redemption` stays as
  the record of the use that was undone, so the campaign's used-voucher and discount counts
  leave it out, and the voucher may be used (and counted) once more. The customer is told.
- a reward grant the payment qualified (a first-payment cashback, or the two sides of a
  referral): still pending or failed, it is refused (nothing is paid, a pending one's
  reservation goes back to the budget); already paid, it is taken back from the wallet to the
  pool by a new `reversal` transaction, up to the wallet's balance, the rest recorded as
  `RewardGrant.clawback_shortfall`, and the budget's `spent` falls by what came back. Either
  way the grant records the reversal (`RewardGrant.reversed_by`) and its customer is told
  (the usual money-out alert for money taken, and a notice saying why).
- the referral itself: a bank pays a referral for a friend who really became a paying customer,
  not for a payment that was undone (a merchant error, a fraud). So when everything paid for it
  came back (or nothing had been paid yet), the referral goes back to waiting for a qualifying
  payment: a later genuine payment rewards it, once, as if the first had never happened, and
  the bank has paid for this friend once at most. When some of it could not be taken back (a
  side had already spent it), the bank has already paid for this friend: the referral is
  refused for good, so nobody is paid twice for one referred customer.
- points earned by the payment: taken back by a new points entry (points.points_clawback).

No staff member acts here (the reversal itself was approved and audited in the backoffice), so
nothing is written to the audit trail; the grant, redemption and voucher rows keep the record.
"""

import logging
from decimal import Decimal

from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from notifications.models import Notification
from notifications.services import notify, outbox_enqueue, register_handler
from wallet import events, ledger
from wallet.models import Transaction, Wallet
from wallet.money import format_money
from wallet.services.common import wallet_account_ensure

from . import points
from .models import Campaign, Redemption, Referral, RewardGrant, Voucher
from .services import campaign_pool_ensure

logger = logging.getLogger(__name__)

PAYMENT_REVERSED = "promotions.payment_reversed"
REVERSAL_NOTICE = "promotions.reversal_notice"


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
        if redemption.voucher_id is not None:
            voucher_give_back(voucher_id=redemption.voucher_id, payment=payment)
        discount_budget_release(redemption_id=redemption.pk, reversal=reversal)
    # A referral's grants are undone with their referral (below), under its lock.
    grants = RewardGrant.objects.filter(source_transaction=payment, referral__isnull=True)
    for grant_id in grants.order_by("pk").values_list("pk", flat=True):
        reward_take_back(grant_id=grant_id, payment=payment, reversal=reversal)
    referral_reward_take_back(payment=payment, reversal=reversal)
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


# --- vouchers ----------------------------------------------------------------------------------


def voucher_give_back(*, voucher_id: int, payment: Transaction, now=None) -> Voucher | None:
    """The voucher used at a reversed payment is the customer's again: usable until its
    expiry, or expired if that passed meanwhile. Locked first, as a payment locks it; a voucher
    no longer held by this payment (given back before) is left alone. None when nothing
    changed."""
    now = now or timezone.now()
    voucher = Voucher.objects.select_for_update(of=("self",)).get(pk=voucher_id)
    if voucher.used_by_transaction_id != payment.pk:
        return None
    expired = voucher.expires_at <= now
    voucher.status = Voucher.Status.EXPIRED if expired else Voucher.Status.AVAILABLE
    voucher.used_by_transaction = None
    voucher.used_at = None
    voucher.save(update_fields=["status", "used_by_transaction", "used_at"])
    _queue_notice(
        {"voucher_id": voucher.pk, "payment_id": payment.pk, "expired": expired},
        dedupe_key=f"promotions-voucher-back:{voucher.pk}:{payment.pk}",
    )
    return voucher


# --- reward grants (a first-payment cashback, a referral's two sides) --------------------------


def reward_take_back(*, grant_id: int, payment: Transaction, reversal: Transaction) -> RewardGrant:
    """Undo a grant `payment` qualified, once: refused if not paid yet, else taken back from the
    wallet to the pool as far as the wallet's balance goes (the rest is the shortfall)."""
    campaign_id = RewardGrant.objects.values_list("campaign_id", flat=True).get(pk=grant_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    grant = RewardGrant.objects.select_for_update().get(pk=grant_id)
    if grant.reversed_by_id is not None:
        return grant
    reason = _("The payment that qualified it was reversed.")
    if grant.status in (RewardGrant.Status.PENDING, RewardGrant.Status.FAILED):
        if grant.status == RewardGrant.Status.PENDING:  # a failed one gave its reservation back
            Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") - grant.amount)
        grant.status = RewardGrant.Status.REFUSED
        grant.reason = reason
        grant.reversed_by = reversal
        grant.save(update_fields=["status", "reason", "reversed_by"])
        _queue_grant_notice(grant)
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
        what = "Referral reward" if grant.referral_id else "Cashback"
        txn = ledger.post(
            kind=Transaction.Kind.REVERSAL,
            legs=[ledger.Leg(target, -take), ledger.Leg(pool, take)],
            description=f"{what} taken back: payment #{payment.pk} reversed"[:200],
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
    grant.reversed_by = reversal
    grant.save(
        update_fields=["clawback_transaction", "clawback_shortfall", "reason", "reversed_by"]
    )
    _queue_grant_notice(grant)
    if grant.clawback_shortfall:
        logger.warning(
            "reward grant %s: %s of the reward already spent at %s",
            grant.pk,
            grant.clawback_shortfall,
            timezone.now().isoformat(),
        )
    return grant


# --- referrals -----------------------------------------------------------------------------------


def referral_reward_take_back(*, payment: Transaction, reversal: Transaction) -> Referral | None:
    """The referral `payment` qualified: its grants undone, then the referral waits for a
    qualifying payment again, or is refused for good if some reward stayed with a customer
    (see the module's docstring). Lock order as when rewarding: campaign, referral, grants.

    The payer's referral is locked whatever it shows before the lock: a qualification of this
    payment still running holds that lock, so this waits for it and then undoes it; one that
    starts after it sees the reversal (committed before this runs) and rewards nothing."""
    found = (
        Referral.objects.filter(referee_id=payment.initiated_by_id)
        .exclude(status=Referral.Status.REFUSED)
        .values_list("pk", "campaign_id")
        .first()
        if payment.initiated_by_id is not None
        else None
    )
    if found is None or found[1] is None:
        return None
    referral_id, campaign_id = found
    Campaign.objects.select_for_update().get(pk=campaign_id)
    referral = Referral.objects.select_for_update().get(pk=referral_id)
    if (
        referral.status != Referral.Status.REWARDED
        or referral.qualifying_transaction_id != payment.pk
    ):
        return referral  # undone before
    grants = referral.grants.filter(reversed_by__isnull=True).order_by("pk")
    # Grants written before `source_transaction` was set for referrals get it now, as a record.
    grants.filter(source_transaction__isnull=True).update(source_transaction=payment)
    undone = [
        reward_take_back(grant_id=grant_id, payment=payment, reversal=reversal)
        for grant_id in grants.values_list("pk", flat=True)
    ]
    kept = sum((grant.clawback_shortfall for grant in undone), Decimal("0"))
    if kept:
        referral.status = Referral.Status.REFUSED
        referral.reason = _(
            "The qualifying payment was reversed and the rewards already spent could not all "
            "be taken back."
        )[:200]
        referral.save(update_fields=["status", "reason"])
        return referral
    referral.status = Referral.Status.PENDING
    referral.qualifying_transaction = None
    referral.rewarded_at = None
    referral.identity_key = ""
    referral.reason = _(
        "The qualifying payment was reversed: the next qualifying payment will reward it."
    )[:200]
    referral.save(
        update_fields=["status", "qualifying_transaction", "rewarded_at", "identity_key", "reason"]
    )
    return referral


# --- telling the customer (after commit, through the outbox) ------------------------------------


def _queue_notice(payload: dict, *, dedupe_key: str) -> None:
    outbox_enqueue(topic=REVERSAL_NOTICE, payload=payload, dedupe_key=dedupe_key)


def _queue_grant_notice(grant: RewardGrant) -> None:
    _queue_notice({"grant_id": grant.pk}, dedupe_key=f"promotions-reward-undone:{grant.pk}")


def reversal_notice_send(
    *,
    voucher_id: int | None = None,
    payment_id: int | None = None,
    expired: bool = False,
    grant_id: int | None = None,
) -> None:
    """Tell the customer what the reversal of a payment undid: a voucher given back, or a
    reward not paid or taken back (money taken also gets the usual money-out alert)."""
    if voucher_id is not None:
        voucher = Voucher.objects.select_related("campaign", "user").get(pk=voucher_id)
        _voucher_notice(voucher, payment_id=payment_id, expired=expired)
    if grant_id is not None:
        _grant_notice(RewardGrant.objects.select_related("campaign", "user").get(pk=grant_id))


def _voucher_notice(voucher: Voucher, *, payment_id, expired: bool) -> None:
    values = {
        "voucher": voucher.label,
        "campaign": voucher.campaign.name,
        "date": formats.date_format(timezone.localtime(voucher.expires_at), "DATE_FORMAT"),
    }
    if expired:
        title = _("Voucher given back, but expired")
        body = _(
            "The payment your voucher %(voucher)s (%(campaign)s) was used at was reversed. "
            "The voucher expired on %(date)s, so it cannot be used again."
        )
    else:
        title = _("Voucher available again")
        body = _(
            "The payment your voucher %(voucher)s (%(campaign)s) was used at was reversed: "
            "you can use the voucher again until %(date)s."
        )
    notify(
        user=voucher.user,
        kind=Notification.Kind.TRANSACTION,
        title=title,
        body=body % values,
        dedupe_key=f"voucher-back:{voucher.pk}:{payment_id}",
        link=reverse("promotions:rewards"),
    )


def _grant_notice(grant: RewardGrant) -> None:
    values = {
        "campaign": grant.campaign.name,
        "amount": format_money(grant.amount, grant.currency),
        "taken": format_money(grant.amount - grant.clawback_shortfall, grant.currency),
        "kept": format_money(grant.clawback_shortfall, grant.currency),
    }
    if grant.status == RewardGrant.Status.REFUSED:
        title = _("Reward cancelled")
        body = _(
            "%(campaign)s: the payment that qualified your reward of %(amount)s was reversed, "
            "so the reward will not be paid."
        )
    elif grant.clawback_shortfall:
        title = _("Reward taken back")
        body = _(
            "%(campaign)s: the payment that qualified your reward of %(amount)s was reversed. "
            "%(taken)s was taken back from your wallet; %(kept)s had already been spent."
        )
    else:
        title = _("Reward taken back")
        body = _(
            "%(campaign)s: the payment that qualified your reward of %(amount)s was reversed, "
            "so the reward was taken back from your wallet."
        )
    notify(
        user=grant.user,
        kind=Notification.Kind.TRANSACTION,
        title=title,
        body=body % values,
        dedupe_key=f"reward-undone:{grant.pk}",
        link=reverse("promotions:rewards"),
    )


def connect() -> None:
    events.subscribe(events.TRANSACTION_REVERSED, queue_payment_reversal, in_transaction=True)
    register_handler(PAYMENT_REVERSED, payment_reversal_apply)
    register_handler(REVERSAL_NOTICE, reversal_notice_send)
