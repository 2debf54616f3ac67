"""Writes of promotions: funding a campaign's pool, granting rewards and settling them.

Granting runs inside the wallet's activation transaction (an in-transaction subscriber): the
budget is reserved under the campaign row's lock and a pending grant and an outbox row are
written with the activation, or not at all. Settling runs in the outbox row's locked
transaction: the grant is locked, a grant no longer pending is left alone (a second run pays
nothing), and the pool pays the customer by one ledger posting.

Lock order: campaign row, then grant row, then (through ledger.post) ledger accounts by id.
"""

import logging
from datetime import timedelta

from django.apps import apps
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from config.api_errors import ApplicationError
from notifications.services import outbox_enqueue, register_handler
from wallet import events, ledger
from wallet.models import LedgerAccount, Transaction, Wallet
from wallet.money import parse_amount, quantize
from wallet.services.common import system_account_ensure, wallet_account_ensure

from . import audit
from .models import Campaign, RewardGrant
from .segments import segment_codes_of

logger = logging.getLogger(__name__)

SETTLE_GRANT = "promotions.settle_grant"


# --- the pool ------------------------------------------------------------------------------


def campaign_pool_ensure(*, campaign: Campaign) -> LedgerAccount:
    return system_account_ensure(
        kind=LedgerAccount.Kind.CAMPAIGN_POOL,
        currency=campaign.CURRENCY,
        code=campaign.pool_code,
    )


def campaign_fund(
    *, campaign: Campaign, amount, funded_by: User | None, request=None
) -> Transaction:
    """Move `amount` from the bank's marketing account into the campaign's pool, audited (who,
    role, campaign, amount, pool balance after) in the same transaction; a refusal is audited
    too, in a transaction of its own, and re-raised.

    Posted as an ADJUSTMENT (a movement between two of the bank's own accounts that no customer
    sees): the ledger keeps no vocabulary of campaigns; the metadata says which one it funds.
    """
    try:
        return _campaign_fund_posting(
            campaign=campaign, amount=amount, funded_by=funded_by, request=request
        )
    except ApplicationError as exc:
        with transaction.atomic(durable=True):
            audit.money_action_record(
                actor=funded_by,
                action=audit.FUND,
                campaign=campaign,
                outcome=audit.REFUSED,
                detail={"amount": str(amount), "currency": campaign.CURRENCY},
                reason=str(exc.detail)[:255],
                request=request,
            )
        raise


@transaction.atomic(durable=True)
def _campaign_fund_posting(*, campaign: Campaign, amount, funded_by, request) -> Transaction:
    amount = parse_amount(amount, campaign.CURRENCY)
    marketing = system_account_ensure(kind=LedgerAccount.Kind.MARKETING, currency=campaign.CURRENCY)
    pool = campaign_pool_ensure(campaign=campaign)
    txn = ledger.post(
        kind=Transaction.Kind.ADJUSTMENT,
        legs=[ledger.Leg(marketing, -amount), ledger.Leg(pool, amount)],
        initiated_by=funded_by,
        description=f"Campaign funding: {campaign.name}"[:200],
        metadata={"campaign_funding": campaign.pk},
    )
    pool.refresh_from_db(fields=["balance"])
    audit.money_action_record(
        actor=funded_by,
        action=audit.FUND,
        campaign=campaign,
        outcome=audit.OK,
        detail={
            "amount": str(amount),
            "currency": campaign.CURRENCY,
            "transaction": txn.pk,
            "pool_balance": str(quantize(pool.balance, campaign.CURRENCY)),
        },
        request=request,
    )
    return txn


CAMPAIGN_EDITABLE_FIELDS = (
    "name",
    "kind",
    "reward_amount",
    "starts_at",
    "ends_at",
    "budget",
    "per_customer_cap",
    "new_customers_only",
    "min_kyc_level",
    "is_active",
    # vouchers and discounts
    "reward_type",
    "benefit",
    "percent",
    "min_spend",
    "max_discount",
    "merchant_categories",
    "branch",
    "target_segments",
    "voucher_valid_days",
    # --- referrals and points (issue 5) ---
    "referrer_reward",
    "referral_min_payment",
    "referrals_per_referrer",
    "points_per_cny",
    "points_per_unit",
    "points_valid_days",
    "reward_points",
    "points_price",
)


@transaction.atomic  # not durable: the admin's change form runs it inside its own transaction
def campaign_save(*, campaign: Campaign) -> Campaign:
    """Create or change a campaign's settings; `spent` is never written from a stale copy."""
    if campaign.pk is None:
        campaign.spent = 0
        campaign.save()
        return campaign
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.budget < locked.spent:
        message = _("The budget cannot be below what is already spent or reserved (%(spent)s).") % {
            "spent": locked.spent
        }
        raise ApplicationError(message, code="budget_below_spent", fields={"budget": [message]})
    campaign.save(update_fields=[*CAMPAIGN_EDITABLE_FIELDS, "updated_at"])
    campaign.spent = locked.spent
    return campaign


def _campaign_locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


@transaction.atomic
def campaign_pause(*, campaign: Campaign) -> Campaign:
    """Stop granting until resumed; grants already made still settle."""
    campaign = _campaign_locked(campaign)
    if campaign.ends_at <= timezone.now():
        raise ApplicationError(_("An ended campaign cannot be paused."), code="campaign_ended")
    campaign.is_active = False
    campaign.save(update_fields=["is_active", "updated_at"])
    return campaign


@transaction.atomic
def campaign_resume(*, campaign: Campaign) -> Campaign:
    campaign = _campaign_locked(campaign)
    if campaign.ends_at <= timezone.now():
        raise ApplicationError(_("An ended campaign cannot be resumed."), code="campaign_ended")
    campaign.is_active = True
    campaign.save(update_fields=["is_active", "updated_at"])
    return campaign


@transaction.atomic
def campaign_end(*, campaign: Campaign) -> Campaign:
    """End now, for good: no event after this moment is rewarded. What is left in the pool
    stays there (it can be moved back by the bank's finance team); nothing is reversed."""
    campaign = _campaign_locked(campaign)
    now = timezone.now()
    if campaign.ends_at <= now:
        raise ApplicationError(_("The campaign has already ended."), code="campaign_ended")
    campaign.ends_at = max(now, campaign.starts_at + timedelta(microseconds=1))
    campaign.is_active = False
    campaign.save(update_fields=["ends_at", "is_active", "updated_at"])
    return campaign


# --- granting ------------------------------------------------------------------------------


def _eligible(campaign: Campaign, user: User, now, *, segment_codes=None, branch_ids=None) -> bool:
    """Whether `user` may benefit from `campaign` at `now`. Callers checking many campaigns
    pass the customer's segment codes and onboarding branch ids, read once."""
    if user.kyc_level < campaign.min_kyc_level:
        return False
    if campaign.new_customers_only and user.date_joined < campaign.starts_at:
        return False
    if campaign.branch_id is not None:
        if branch_ids is None:
            if not _onboarded_at(user, campaign.branch_id):
                return False
        elif campaign.branch_id not in branch_ids:
            return False
    if campaign.target_segments:
        # Segments exist only for customers who accepted personalised offers: a targeted
        # campaign reaches nobody else.
        if segment_codes is None:
            segment_codes = segment_codes_of(user)
        if not set(campaign.target_segments) & set(segment_codes):
            return False
    return campaign.starts_at <= now < campaign.ends_at


def onboarding_branch_ids(user: User) -> set[int]:
    customer_branch = apps.get_model("backoffice", "CustomerBranch")
    return set(customer_branch.objects.filter(user=user).values_list("branch_id", flat=True))


def _onboarded_at(user: User, branch_id: int) -> bool:
    # By name: backoffice stands on promotions, so promotions never imports it.
    customer_branch = apps.get_model("backoffice", "CustomerBranch")
    return customer_branch.objects.filter(user=user, branch_id=branch_id).exists()


def reward_grants_for_activation(*, wallet_id: int, user_id: int) -> list[RewardGrant]:
    """In the activation's transaction: a pending grant per active, eligible campaign."""
    user = User.objects.get(pk=user_id)
    return _rewards_reserve(kind=Campaign.Kind.ACTIVATION_BONUS, user=user)


def _rewards_reserve(
    *, kind: str, user: User, base_amount=None, source_transaction=None
) -> list[RewardGrant]:
    """A reward (grant or voucher) from every active, eligible campaign of `kind`; grants only
    are returned. `base_amount` is what a percent reward is a percent of (a payment), and
    `source_transaction` that payment."""
    now = timezone.now()
    ids = Campaign.objects.filter(
        kind=kind,
        is_active=True,
        starts_at__lte=now,
        ends_at__gt=now,
        min_kyc_level__lte=user.kyc_level,
    ).values_list("pk", flat=True)
    grants = []
    for campaign_id in sorted(ids):
        grant = _reward_grant_reserve(
            campaign_id=campaign_id,
            user=user,
            now=now,
            base_amount=base_amount,
            source_transaction=source_transaction,
        )
        if isinstance(grant, RewardGrant):
            grants.append(grant)
    return grants


def _reward_grant_reserve(
    *, campaign_id: int, user: User, now, base_amount=None, source_transaction=None
):
    """Under the campaign's lock: check eligibility, the per-customer cap and the budget, then
    reserve a pending grant (or issue a voucher, for a campaign that rewards with vouchers)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if not campaign.is_active or not _eligible(campaign, user, now):
        return None
    taken = (
        RewardGrant.objects.filter(campaign=campaign, user=user)
        .exclude(status=RewardGrant.Status.REFUSED)
        .count()
    ) + campaign.vouchers.filter(user=user).count()
    if taken >= campaign.per_customer_cap:
        return None
    if campaign.reward_type == Campaign.RewardType.VOUCHER:
        # Imported here: vouchers builds on this module (the pool, the eligibility rules).
        from .vouchers import voucher_issue

        return voucher_issue(campaign=campaign, user=user, now=now)
    points = 0
    if campaign.rewards_points:
        # Points are budgeted at their cash value (README: activation bonus in points).
        amount, points = campaign.points_reward_value, campaign.reward_points
    elif base_amount is None:
        amount = campaign.reward_amount
    else:
        amount = campaign.benefit_for(base_amount)
    if amount <= 0:
        return None
    return reward_grant_reserve_locked(
        campaign=campaign,
        user=user,
        amount=amount,
        sequence=taken + 1,
        points=points,
        source_transaction=source_transaction,
    )


def reward_grant_reserve_locked(
    *,
    campaign: Campaign,
    user: User,
    amount,
    sequence: int,
    role: str = "",
    referral=None,
    points: int = 0,
    source_transaction=None,
    source_transaction_id: int | None = None,
) -> RewardGrant | None:
    """With the campaign row locked by the caller: reserve `amount` in the budget and write a
    pending grant and its outbox row. None when the budget cannot take it. The qualifying
    payment (`source_transaction`, or its id) lets a reversal of it find the grant."""
    if campaign.spent + amount > campaign.budget:
        logger.info("campaign %s: budget spent, no reward for user %s", campaign.pk, user.pk)
        return None
    Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") + amount)
    campaign.spent += amount  # the caller's locked copy stays true for a second reservation
    if source_transaction is not None:
        source_transaction_id = source_transaction.pk
    grant = RewardGrant.objects.create(
        campaign=campaign,
        user=user,
        sequence=sequence,
        amount=amount,
        currency=campaign.CURRENCY,
        role=role,
        referral=referral,
        points=points,
        source_transaction_id=source_transaction_id,
    )
    _queue_settlement(grant)
    return grant


# --- first-payment cashback ------------------------------------------------------------------


def cashback_for_first_payment(*, transaction_id: int) -> list[RewardGrant]:
    """In the payment's transaction: on a customer's first completed merchant payment, a
    pending grant (paid through the outbox like any reward) from each cashback campaign.

    Its percent is of what the customer was charged, not of a discount the bank paid itself.
    """
    if not Campaign.objects.filter(
        kind=Campaign.Kind.FIRST_PAYMENT_CASHBACK, is_active=True, ends_at__gt=timezone.now()
    ).exists():
        return []
    txn = Transaction.objects.select_related("initiated_by").get(pk=transaction_id)
    if txn.kind != Transaction.Kind.PAYMENT or txn.status != Transaction.Status.COMPLETED:
        return []
    user = txn.initiated_by
    if user is None:
        return []
    earlier = (
        Transaction.objects.filter(
            initiated_by=user,
            kind=Transaction.Kind.PAYMENT,
            status=Transaction.Status.COMPLETED,
        )
        .exclude(pk=txn.pk)
        .exists()
    )
    if earlier:
        return []
    charged = -sum(
        e.amount for e in txn.entries.filter(amount__lt=0, account__wallet__isnull=False)
    )
    if (
        txn.entries.filter(account__wallet__isnull=False)
        .exclude(currency=Campaign.CURRENCY)
        .exists()
    ):
        return []
    return _rewards_reserve(
        kind=Campaign.Kind.FIRST_PAYMENT_CASHBACK,
        user=user,
        base_amount=charged,
        source_transaction=txn,
    )


def _queue_settlement(grant: RewardGrant) -> None:
    outbox_enqueue(
        topic=SETTLE_GRANT,
        payload={"grant_id": grant.pk},
        dedupe_key=f"reward-grant:{grant.pk}:{grant.attempts}",
    )


# --- settling ------------------------------------------------------------------------------


def reward_grant_settle(*, grant_id: int) -> RewardGrant:
    """Pay a pending grant from the pool. Runs in the outbox row's transaction; idempotent."""
    campaign_id = RewardGrant.objects.values_list("campaign_id", flat=True).get(pk=grant_id)
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    grant = RewardGrant.objects.select_for_update().get(pk=grant_id)
    if grant.status != RewardGrant.Status.PENDING:
        return grant
    if grant.points:
        # Imported here: points builds on this module (the pool, the campaign's lock).
        from .points import points_bonus_credit

        points_bonus_credit(grant=grant, campaign=campaign)
        return grant
    wallet = Wallet.objects.filter(user_id=grant.user_id).first()
    if wallet is None or wallet.status != Wallet.Status.ACTIVE:
        return _fail(grant, campaign, _("The customer's wallet is not active."))
    pool = campaign_pool_ensure(campaign=campaign)
    target = wallet_account_ensure(wallet=wallet, currency=grant.currency)
    try:
        with transaction.atomic():
            txn = ledger.post(
                kind=Transaction.Kind.REWARD,
                legs=[ledger.Leg(pool, -grant.amount), ledger.Leg(target, grant.amount)],
                description=f"Reward: {campaign.name}"[:200],
                metadata={
                    "campaign": campaign.pk,
                    "reward_grant": grant.pk,
                    "from_name": campaign.name,
                    "to_wallet": wallet.handle,
                },
            )
    except ledger.InsufficientFunds:
        return _fail(grant, campaign, _("The campaign's pool has not enough money."))
    grant.status = RewardGrant.Status.SETTLED
    grant.transaction = txn
    grant.settled_at = timezone.now()
    grant.reason = ""
    grant.save(update_fields=["status", "transaction", "settled_at", "reason"])
    events.emit(events.MONEY_MOVED, transaction_id=txn.pk)
    return grant


def _fail(grant: RewardGrant, campaign: Campaign, reason: str) -> RewardGrant:
    """The grant stays visible as failed; its reservation goes back to the budget."""
    Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") - grant.amount)
    grant.status = RewardGrant.Status.FAILED
    grant.reason = reason[:200]
    grant.save(update_fields=["status", "reason"])
    logger.warning("reward grant %s failed: %s", grant.pk, reason)
    return grant


@transaction.atomic(durable=True)
def reward_grant_retry(*, grant: RewardGrant) -> RewardGrant:
    """Put a failed grant back in the queue, reserving its amount again."""
    campaign = Campaign.objects.select_for_update().get(pk=grant.campaign_id)
    grant = RewardGrant.objects.select_for_update().get(pk=grant.pk)
    if grant.status != RewardGrant.Status.FAILED:
        raise ApplicationError(_("Only a failed reward can be retried."), code="reward_not_failed")
    if campaign.spent + grant.amount > campaign.budget:
        raise ApplicationError(
            _("The campaign's budget is spent: raise it before retrying."),
            code="campaign_budget_spent",
        )
    Campaign.objects.filter(pk=campaign.pk).update(spent=F("spent") + grant.amount)
    grant.status = RewardGrant.Status.PENDING
    grant.reason = ""
    grant.attempts = F("attempts") + 1
    grant.save(update_fields=["status", "reason", "attempts"])
    grant.refresh_from_db()
    _queue_settlement(grant)
    return grant


def connect() -> None:
    events.subscribe(events.WALLET_ACTIVATED, reward_grants_for_activation, in_transaction=True)
    events.subscribe(events.MONEY_MOVED, cashback_for_first_payment, in_transaction=True)
    register_handler(SETTLE_GRANT, reward_grant_settle)
    # --- referrals and points (issue 5) ---
    from . import payment_rewards, reversals

    payment_rewards.connect()
    reversals.connect()
