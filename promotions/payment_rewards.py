"""What promotions do when a customer pays a merchant: qualify a pending referral and earn points.

The wallet emits MONEY_MOVED inside the payment's transaction; the subscriber here only writes
an outbox row (keyed by the payment, so a second delivery adds nothing) and the work runs after
commit in that row's transaction. A payment's lock window stays as short as before, and a
rolled-back payment rewards nothing.
"""

from decimal import Decimal

from django.utils import timezone

from notifications.services import outbox_enqueue, register_handler
from wallet import events
from wallet.models import Entry, Transaction

from . import points, referrals

PAYMENT_MADE = "promotions.payment_made"
CURRENCY = "CNY"


def queue_payment_rewards(*, transaction_id: int) -> None:
    """In the emitting transaction: a completed merchant payment gets an outbox row."""
    row = Transaction.objects.filter(pk=transaction_id).values("kind", "status").first()
    if row is None or row["kind"] != Transaction.Kind.PAYMENT:
        return
    if row["status"] != Transaction.Status.COMPLETED:
        return  # a held payment is not (yet) a payment
    outbox_enqueue(
        topic=PAYMENT_MADE,
        payload={"transaction_id": transaction_id},
        dedupe_key=f"promotions-payment:{transaction_id}",
    )


def payment_rewards_apply(*, transaction_id: int) -> None:
    """The outbox handler: idempotent (a referral is locked and rewarded once; points are keyed
    by the payment). Referral first: its lock order (campaign, referral) comes before the
    points account's, as in a redemption."""
    payment = Transaction.objects.get(pk=transaction_id)
    if Transaction.objects.filter(reverses=payment).exists():
        return  # reversed before this ran: it qualifies nothing and earns nothing
    debit = (
        Entry.objects.filter(
            transaction=payment, amount__lt=0, account__wallet__user_id=payment.initiated_by_id
        )
        .values("amount", "currency")
        .first()
    )
    if debit is None or debit["currency"] != CURRENCY or payment.initiated_by_id is None:
        return
    amount = -Decimal(debit["amount"])
    now = timezone.now()
    referrals.referral_qualify(
        referee_id=payment.initiated_by_id, payment_id=payment.pk, amount=amount, now=now
    )
    points.points_earn(
        user_id=payment.initiated_by_id,
        payment=payment,
        amount=amount,
        category=payment.metadata.get("merchant_category", ""),
        now=now,
    )


def connect() -> None:
    events.subscribe(events.MONEY_MOVED, queue_payment_rewards, in_transaction=True)
    register_handler(PAYMENT_MADE, payment_rewards_apply)
