""" "Offers for you": running discounts, campaigns, the customer's vouchers and (through a
registered source) wealth products, ranked by the customer's category affinity with a reason.

Without personalisation consent the customer gets the general list, the same for everyone:
campaigns not limited to segments, newest first, then the other sources' general offers; no
reasons, and nothing about the customer is read or computed. Each source runs a fixed number
of queries, so the whole list does too, however many offers or payments there are.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.consent import has_consented
from accounts.models import Consent, User
from wallet.models import Merchant

from . import selectors
from .models import Campaign, CategoryAffinity, CustomerSegment
from .services import _eligible, onboarding_branch_ids

# Why an offer is shown: the customer's strongest category among those the offer applies to.
CATEGORY_REASONS = {
    Merchant.Category.FOOD: gettext_lazy("Because you often pay for food and drink"),
    Merchant.Category.TRANSPORT: gettext_lazy("Because you often pay for transport"),
    Merchant.Category.SHOPPING: gettext_lazy("Because you often go shopping"),
    Merchant.Category.UTILITIES: gettext_lazy("Because you often pay for utilities"),
    Merchant.Category.ENTERTAINMENT: gettext_lazy("Because you often pay for entertainment"),
    Merchant.Category.HEALTH: gettext_lazy("Because you often pay for health"),
    Merchant.Category.OTHER: gettext_lazy("Because you often pay at shops like these"),
}
# Scores (0 to 1 for an affinity) of what has no category to match.
EVERYWHERE_SCORE = Decimal("0.10")
NO_MATCH_SCORE = Decimal("0.01")
SEGMENT_BONUS = Decimal("0.30")
OWN_VOUCHER_BONUS = Decimal("0.05")
CAMPAIGN_KINDS = (
    Campaign.Kind.MERCHANT_DISCOUNT,
    Campaign.Kind.FIRST_PAYMENT_CASHBACK,
    Campaign.Kind.REFERRAL,
)
OFFERS_MAX = 50


@dataclass
class Offer:
    kind: str  # discount, voucher_for_points, cashback, referral, voucher, wealth_product
    key: str  # stable and unique in the list, e.g. "campaign:12"
    title: str
    detail: str
    link: str
    categories: list[str] = field(default_factory=list)  # empty: everywhere
    ends_at: datetime | None = None
    reason: str = ""
    score: Decimal = Decimal(0)


@dataclass
class Profile:
    """What ranking may use about a customer: only read when they accepted personalisation."""

    user: User
    personalised: bool
    affinity: dict[str, Decimal] = field(default_factory=dict)  # best first
    segments: set[str] = field(default_factory=set)

    def best_category(self, categories: list[str]) -> tuple[str | None, Decimal]:
        scored = [(self.affinity[c], c) for c in categories if c in self.affinity]
        if not scored:
            return None, Decimal(0)
        score, category = max(scored)
        return category, score


# Other apps add their offers (wealth adds its products): `source(profile) -> list[Offer]`,
# a fixed number of queries each, scored and with reasons only when profile.personalised.
_sources: list[Callable[[Profile], list[Offer]]] = []


def register_offer_source(source: Callable[[Profile], list[Offer]]) -> None:
    if source not in _sources:
        _sources.append(source)


def profile_of(user: User) -> Profile:
    if not has_consented(user, Consent.Kind.PERSONALISATION):
        return Profile(user=user, personalised=False)
    affinity = dict(
        CategoryAffinity.objects.filter(user=user)
        .order_by("-score", "category")
        .values_list("category", "score")
    )
    segments = set(CustomerSegment.objects.filter(user=user).values_list("code", flat=True))
    return Profile(user=user, personalised=True, affinity=affinity, segments=segments)


def offers_for(user: User, *, now=None) -> tuple[bool, list[Offer]]:
    """(personalised?, offers best first)."""
    now = now or timezone.now()
    profile = profile_of(user)
    offers = _campaign_offers(profile, now)
    if profile.personalised:
        offers += _voucher_offers(profile, now)
    for source in _sources:
        offers += source(profile)
    if profile.personalised:
        # Best score first; ties keep the general order (sorted() is stable).
        offers = sorted(offers, key=lambda offer: -offer.score)
    return profile.personalised, offers[:OFFERS_MAX]


def _categories_of(merchants, categories) -> list[str]:
    return sorted({*(categories or []), *(m.category for m in merchants)})


def _score(profile: Profile, offer: Offer, *, targeted: list[str] = ()) -> None:
    if offer.categories:
        category, score = profile.best_category(offer.categories)
        offer.score = score or NO_MATCH_SCORE
        if category:
            offer.reason = str(CATEGORY_REASONS[category])
    else:
        offer.score = EVERYWHERE_SCORE
    matched = [code for code in targeted if code in profile.segments]
    if matched:
        offer.score += SEGMENT_BONUS
        if not offer.reason:
            label = CustomerSegment.Code(matched[0]).label
            offer.reason = _("Because it is for: %(segment)s") % {"segment": label}
    if not offer.reason:
        if offer.kind == "referral":
            offer.reason = str(_("Because you and the friends you invite are both rewarded"))
        else:
            offer.reason = str(_("Because it can be used at every shop"))


def _campaign_offer(campaign: Campaign) -> Offer:
    merchants = list(campaign.merchants.all())
    categories = _categories_of(merchants, campaign.merchant_categories)
    where = ", ".join([m.name for m in merchants] + campaign.category_labels)
    if campaign.kind == Campaign.Kind.REFERRAL:
        kind, link = "referral", reverse("promotions:rewards")
        detail = _("Invite a friend: you both get a reward after their first payment at a shop.")
    elif campaign.kind == Campaign.Kind.FIRST_PAYMENT_CASHBACK:
        kind, link = "cashback", reverse("wallet:pay")
        detail = _("Cashback on your first payment at a shop: %(offer)s") % {
            "offer": campaign.offer_label
        }
    elif campaign.reward_type == Campaign.RewardType.VOUCHER:
        kind, link = "voucher_for_points", reverse("promotions:rewards")
        detail = _("A voucher for %(points)d points: %(offer)s") % {
            "points": campaign.points_price or 0,
            "offer": campaign.offer_label,
        }
    else:
        kind, link = "discount", reverse("wallet:pay")
        detail = campaign.offer_label
    if where and campaign.kind != Campaign.Kind.REFERRAL:
        detail = f"{detail} · {where}"
    return Offer(
        kind=kind,
        key=f"campaign:{campaign.pk}",
        title=campaign.name,
        detail=detail,
        link=link,
        categories=categories,
        ends_at=campaign.ends_at,
    )


def _campaign_offers(profile: Profile, now) -> list[Offer]:
    """Running campaigns a customer can take up (a voucher campaign only if sold for points),
    newest first. General: those limited to no segment and no branch, for everyone alike."""
    campaigns = (
        Campaign.objects.filter(
            kind__in=CAMPAIGN_KINDS,
            is_active=True,
            starts_at__lte=now,
            ends_at__gt=now,
            spent__lt=F("budget"),
        )
        .filter(~Q(reward_type=Campaign.RewardType.VOUCHER) | Q(points_price__isnull=False))
        .prefetch_related("merchants")
        .order_by("-starts_at", "-pk")
    )
    if not profile.personalised:
        return [
            _campaign_offer(c)
            for c in campaigns.filter(target_segments=[], branch__isnull=True)[:OFFERS_MAX]
        ]
    branch_ids = onboarding_branch_ids(profile.user)
    offers = []
    for campaign in campaigns[: OFFERS_MAX * 2]:
        if not _eligible(
            campaign,
            profile.user,
            now,
            segment_codes=profile.segments,
            branch_ids=branch_ids,
        ):
            continue
        offer = _campaign_offer(campaign)
        _score(profile, offer, targeted=campaign.target_segments or [])
        offers.append(offer)
    return offers


def _voucher_offers(profile: Profile, now) -> list[Offer]:
    """The customer's own usable vouchers (personalised list only)."""
    offers = []
    for voucher in selectors.vouchers_usable(profile.user, now)[:OFFERS_MAX]:
        merchants = list(voucher.merchants.all())
        where = ", ".join(m.name for m in merchants)
        offer = Offer(
            kind="voucher",
            key=f"voucher:{voucher.pk}",
            title=voucher.campaign.name,
            detail=f"{voucher.label} · {where}" if where else voucher.label,
            link=reverse("wallet:pay"),
            categories=_categories_of(merchants, voucher.merchant_categories),
            ends_at=voucher.expires_at,
        )
        _score(profile, offer)
        offer.score += OWN_VOUCHER_BONUS
        offers.append(offer)
    return offers
