"""Customers with spending for the segment and offer tests: consent given or not, merchant
payments in chosen categories, and their history moved into the past."""

import itertools
from datetime import timedelta
from decimal import Decimal

import pgtrigger
from django.utils import timezone

from accounts.consent import consents_record
from accounts.models import Consent
from tests.wallet.factories import MerchantFactory, funded_wallet
from wallet.models import Merchant, Transaction
from wallet.services.payments import payment_create

_keys = itertools.count()


def customer(*, personalisation=True, marketing=False, joined_days_ago=200, funds="5000.00"):
    wallet = funded_wallet(amount=funds)
    user = wallet.user
    type(user).objects.filter(pk=user.pk).update(
        date_joined=timezone.now() - timedelta(days=joined_days_ago)
    )
    user.refresh_from_db()
    choices = {}
    if personalisation:
        choices[Consent.Kind.PERSONALISATION] = True
    if marketing:
        choices[Consent.Kind.MARKETING_EMAIL] = True
    if choices:
        consents_record(user=user, choices=choices)
    return user


def shop(category=Merchant.Category.FOOD) -> Merchant:
    return MerchantFactory(category=category)


def pay(user, merchant, amount="20.00"):
    return payment_create(
        payer_user=user,
        merchant_code=merchant.code,
        amount=Decimal(amount),
        currency="CNY",
        idempotency_key=f"seg-{next(_keys)}",
    )


def backdate_activity(user, days: int) -> None:
    """Everything the customer's wallet did so far happened `days` days ago."""
    when = timezone.now() - timedelta(days=days)
    with pgtrigger.ignore("wallet.Transaction:transaction_sealed_columns_frozen"):
        Transaction.objects.filter(entries__account__wallet__user=user).update(created_at=when)
