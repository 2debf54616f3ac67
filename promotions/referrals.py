"""Writes of referrals: a customer's code, recording who referred whom, and rewarding both once
the referred customer makes a first qualifying payment.

Rewarding runs in the outbox row of the payment (promotions.payment_rewards), after the
payment committed. If that payment is reversed, promotions.reversals undoes the rewards and
puts the referral back to waiting (or refuses it when a reward could not all be taken back). Lock order: campaign row, then referral row, then (through the grants'
settlement, later) ledger accounts — the same order as the activation bonus.
"""

import hashlib
import hmac
import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import IdentityDocument, PhoneVerification, User
from config.api_errors import ApplicationError
from wallet.models import Transaction

from . import services
from .models import (
    REFERRAL_CODE_ALPHABET,
    Campaign,
    Referral,
    ReferralCode,
    RewardGrant,
    new_referral_code,
)

logger = logging.getLogger(__name__)

SESSION_KEY = "referral_code"


# --- codes ---------------------------------------------------------------------------------


def referral_code_ensure(*, user: User) -> ReferralCode:
    """The customer's code, made on first use (a random draw that collides is drawn again)."""
    existing = ReferralCode.objects.filter(user=user).first()
    if existing is not None:
        return existing
    for _attempt in range(8):
        try:
            with transaction.atomic():
                return ReferralCode.objects.create(user=user, code=new_referral_code())
        except IntegrityError:
            existing = ReferralCode.objects.filter(user=user).first()
            if existing is not None:  # a concurrent request made it first
                return existing
    raise RuntimeError("could not draw a free referral code")


def referral_code_normalize(code) -> str:
    """What a person types: any case, with spaces or dashes. (Codes have no 0/O or 1/I/L.)"""
    if not isinstance(code, str):
        return ""
    return code.strip().upper().replace(" ", "").replace("-", "")


def _code_error(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"code": [message]})


def _well_formed(normalized: str) -> bool:
    return 4 <= len(normalized) <= 16 and all(ch in REFERRAL_CODE_ALPHABET for ch in normalized)


def referral_code_exists(code: str) -> bool:
    normalized = referral_code_normalize(code)
    return _well_formed(normalized) and ReferralCode.objects.filter(code=normalized).exists()


def _referrer_for(code: str) -> User:
    normalized = referral_code_normalize(code)
    row = (
        ReferralCode.objects.select_related("user").filter(code=normalized).first()
        if _well_formed(normalized)
        else None
    )
    if row is None or not row.user.is_active:
        raise _code_error(
            _("This referral code does not exist. Check it and try again."), "referral_code_invalid"
        )
    return row.user


def referral_campaign_running(now=None) -> Campaign | None:
    now = now or timezone.now()
    return (
        Campaign.objects.filter(
            kind=Campaign.Kind.REFERRAL, is_active=True, starts_at__lte=now, ends_at__gt=now
        )
        .order_by("starts_at", "pk")
        .first()
    )


# --- recording ------------------------------------------------------------------------------


@transaction.atomic
def referral_record(*, referee: User, code: str) -> Referral:
    """Record that `referee` was brought by the owner of `code`. Refuses one's own code and a
    second referrer; the rewards wait for the referee's first qualifying payment."""
    referrer = _referrer_for(code)
    if referrer.pk == referee.pk:
        raise _code_error(
            _("This is your own referral code: share it with friends instead."),
            "referral_code_own",
        )
    if Referral.objects.filter(referee=referee).exists():
        raise _code_error(_("You have already been referred."), "referral_exists")
    if Referral.objects.filter(referrer=referee, referee=referrer).exists():
        # Two customers referring each other would pay twice for one friendship.
        raise _code_error(
            _("You referred this customer yourself, so their code cannot be used."),
            "referral_code_mutual",
        )
    try:
        with transaction.atomic():
            return Referral.objects.create(
                referrer=referrer,
                referee=referee,
                campaign=referral_campaign_running(),
                code=referral_code_normalize(code),
                referrer_identity_key=_identity_of(referrer) or "",
            )
    except IntegrityError:
        raise _code_error(_("You have already been referred."), "referral_exists") from None


def referral_entry_open(*, user: User) -> bool:
    days = settings.PROMOTIONS_REFERRAL_ENTRY_DAYS
    return user.date_joined >= timezone.now() - timedelta(days=days)


def referral_enter(*, user: User, code: str) -> Referral:
    """A customer who signed up without the link enters a friend's code, within a few days."""
    days = settings.PROMOTIONS_REFERRAL_ENTRY_DAYS
    if not referral_entry_open(user=user):
        raise _code_error(
            _("A referral code can only be entered within %(days)d days of signing up.")
            % {"days": days},
            "referral_too_late",
        )
    return referral_record(referee=user, code=code)


def referral_record_from_signup(*, user: User, code: str | None) -> Referral | None:
    """After an allauth signup through a referral link: a bad code must not break the signup."""
    if not code:
        return None
    try:
        return referral_record(referee=user, code=code)
    except ApplicationError as exc:
        logger.info("signup of user %s: referral code %r not recorded: %s", user.pk, code, exc)
        return None


# --- rewarding ------------------------------------------------------------------------------


def identity_key(document: IdentityDocument) -> str:
    """A keyed hash of a document: compares people without copying their ID numbers."""
    material = f"{document.document_type}:{document.number.strip().upper()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), material, hashlib.sha256).hexdigest()


def _identity_of(user: User) -> str | None:
    document = IdentityDocument.objects.filter(user=user).first()
    return identity_key(document) if document else None


def _referrers_phone(referrer: User, phone: str | None) -> bool:
    """The referrer's number now, or one the referrer proved to hold before (a phone moved to
    a second account is still the same person)."""
    if not phone:
        return False
    if phone == referrer.phone:
        return True
    return PhoneVerification.objects.filter(
        user=referrer, phone=phone, confirmed_at__isnull=False
    ).exists()


def _refusal(referral: Referral, referee_key: str) -> str | None:
    referrer, referee = referral.referrer, referral.referee
    if _referrers_phone(referrer, referee.phone):
        return _("The referred customer has the referrer's phone number.")
    if referee_key in {_identity_of(referrer), referral.referrer_identity_key}:
        return _("The referred customer has the referrer's identity document.")
    already = Referral.objects.filter(
        status=Referral.Status.REWARDED, identity_key=referee_key
    ).exclude(pk=referral.pk)
    if already.exists():
        return _("This person was already rewarded as a referred customer.")
    return None


def _next_sequence(campaign: Campaign, user: User) -> int:
    top = RewardGrant.objects.filter(campaign=campaign, user=user).aggregate(top=Max("sequence"))
    return (top["top"] or 0) + 1


def _referrer_capped(campaign: Campaign, referrer: User) -> bool:
    rewarded = (
        RewardGrant.objects.filter(campaign=campaign, user=referrer, role=RewardGrant.Role.REFERRER)
        .exclude(status=RewardGrant.Status.REFUSED)
        # Taken back in full after its payment was reversed: it rewarded nothing.
        .exclude(reversed_by__isnull=False, clawback_shortfall=0)
        .count()
    )
    return rewarded >= campaign.referrals_per_referrer


def _campaign_for(referral: Referral, now) -> Campaign | None:
    """The campaign promised at signup while it runs; else the one running now."""
    if referral.campaign_id is not None:
        promised = Campaign.objects.get(pk=referral.campaign_id)
        if promised.is_active and promised.starts_at <= now < promised.ends_at:
            return promised
    return referral_campaign_running(now)


def referral_qualify(*, referee_id: int, payment_id: int, amount, now=None) -> Referral | None:
    """In the payment's outbox row: the referee paid a merchant `amount` CNY. The first payment
    that qualifies rewards both sides, once; refusals are recorded with their reason."""
    now = now or timezone.now()
    referral = Referral.objects.filter(
        referee_id=referee_id, status=Referral.Status.PENDING
    ).first()
    if referral is None:
        return None
    campaign = _campaign_for(referral, now)
    if campaign is None or amount < campaign.referral_min_payment:
        return referral
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    referral = (
        Referral.objects.select_for_update()
        .select_related("referrer", "referee")
        .get(pk=referral.pk)
    )
    if referral.status != Referral.Status.PENDING:
        return referral  # a second delivery of the event, or a concurrent one, found it done
    if Transaction.objects.filter(reverses_id=payment_id).exists():
        return referral  # reversed meanwhile (read under the referral's lock: see reversals)
    if referral.referee.kyc_level < campaign.min_kyc_level:
        return _wait(referral, _("Waiting for the referred customer's identity verification."))
    referee_key = _identity_of(referral.referee)
    if referee_key is None:
        return _wait(referral, _("Waiting for the referred customer's identity verification."))
    refusal = _refusal(referral, referee_key)
    if refusal:
        referral.status = Referral.Status.REFUSED
        referral.reason = refusal[:200]
        referral.save(update_fields=["status", "reason"])
        logger.info("referral %s refused: %s", referral.pk, refusal)
        return referral
    return _reward(referral, campaign, referee_key, payment_id, now)


def _wait(referral: Referral, reason: str) -> Referral:
    if referral.reason != reason:
        referral.reason = reason[:200]
        referral.save(update_fields=["reason"])
    return referral


def _reward(referral, campaign, referee_key, payment_id, now) -> Referral:
    referrer_amount = campaign.referrer_reward or 0
    pay_referrer = referrer_amount > 0 and not _referrer_capped(campaign, referral.referrer)
    total = campaign.reward_amount + (referrer_amount if pay_referrer else 0)
    if campaign.spent + total > campaign.budget:
        # Both or neither: the referral stays pending for a later payment once the budget grows.
        return _wait(referral, _("The campaign's budget is spent."))
    services.reward_grant_reserve_locked(
        campaign=campaign,
        user=referral.referee,
        amount=campaign.reward_amount,
        sequence=_next_sequence(campaign, referral.referee),
        role=RewardGrant.Role.REFEREE,
        referral=referral,
        source_transaction_id=payment_id,
    )
    if pay_referrer:
        services.reward_grant_reserve_locked(
            campaign=campaign,
            user=referral.referrer,
            amount=referrer_amount,
            sequence=_next_sequence(campaign, referral.referrer),
            role=RewardGrant.Role.REFERRER,
            referral=referral,
            source_transaction_id=payment_id,
        )
    referral.status = Referral.Status.REWARDED
    referral.campaign = campaign
    referral.identity_key = referee_key
    referral.qualifying_transaction_id = payment_id
    referral.rewarded_at = now
    referral.reason = (
        ""
        if pay_referrer or referrer_amount <= 0
        else _("The referrer has reached the campaign's limit of rewarded referrals.")
    )
    referral.save(
        update_fields=[
            "status",
            "campaign",
            "identity_key",
            "qualifying_transaction",
            "rewarded_at",
            "reason",
        ]
    )
    return referral
