"""Wealth products among the customer's "offers for you" (promotions/offers.py ranks them).

Personalised: products within the customer's assessed risk tolerance (all on sale when not
assessed; buying still needs the questionnaire), scored above other offers for customers whose
money sits idle (dormant) or who spend a lot. General: every product on sale, lowest risk first.
"""

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext as _

from promotions.models import CustomerSegment
from promotions.offers import Offer, Profile

from . import selectors, services

BASE_SCORE = Decimal("0.15")
IDLE_MONEY_BONUS = Decimal("0.30")
IDLE_MONEY_SEGMENTS = {
    CustomerSegment.Code.DORMANT_30,
    CustomerSegment.Code.DORMANT_60,
    CustomerSegment.Code.DORMANT_90,
    CustomerSegment.Code.HIGH_SPENDER,
}


def _offer(product) -> Offer:
    if product.latest_annualised_7d is not None:
        detail = _("%(level)s · 7-day annualised %(rate)s%%") % {
            "level": product.get_risk_level_display(),
            "rate": f"{product.latest_annualised_7d:.2f}",
        }
    else:
        detail = str(product.get_risk_level_display())
    return Offer(
        kind="wealth_product",
        key=f"product:{product.pk}",
        title=product.display_name(),
        detail=detail,
        link=reverse("wealth:product", args=[product.pk]),
    )


def wealth_offers(profile: Profile) -> list[Offer]:
    products = list(selectors.products_on_sale())
    if not profile.personalised:
        return [_offer(product) for product in products]
    assessment = services.suitability_current(profile.user)
    offers = []
    for product in products:
        if assessment and product.risk_level > assessment.risk_tolerance:
            continue
        offer = _offer(product)
        offer.score = BASE_SCORE
        if profile.segments & IDLE_MONEY_SEGMENTS:
            offer.score += IDLE_MONEY_BONUS
            offer.reason = _("Because money you are not spending could earn every day")
        elif assessment:
            offer.reason = _("Because it is within your risk tolerance (R%(level)d)") % {
                "level": assessment.risk_tolerance
            }
        else:
            offer.reason = _("Because it earns every day at risk level R%(level)d") % {
                "level": product.risk_level
            }
        offers.append(offer)
    return offers


def connect() -> None:
    from promotions.offers import register_offer_source

    register_offer_source(wealth_offers)
