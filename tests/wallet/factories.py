from decimal import Decimal

import factory
from django.utils import timezone

from tests.accounts.factories import UserFactory
from wallet import services
from wallet.models import Biller, Merchant, Wallet


class WalletFactory(factory.django.DjangoModelFactory):
    """An activated wallet of a verified customer."""

    class Meta:
        model = Wallet

    user = factory.SubFactory(UserFactory)
    status = Wallet.Status.ACTIVE
    activated_at = factory.LazyFunction(timezone.now)


def funded_wallet(amount="1000.00", currency="CNY", **kwargs) -> Wallet:
    wallet = WalletFactory(**kwargs)
    services.wallet_fund_from_clearing(
        wallet=wallet, amount=Decimal(amount), currency=currency, description="test funding"
    )
    return wallet


def balance(wallet: Wallet, currency: str = "CNY") -> Decimal:
    account = wallet.accounts.filter(currency=currency).first()
    return account.balance if account else Decimal("0")


class MerchantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"小店 {n}")
    code = factory.Sequence(lambda n: f"SHOP{n:04d}")
    category = Merchant.Category.FOOD


def merchant_balance(merchant: Merchant, currency: str = "CNY") -> Decimal:
    return sum((a.balance for a in merchant.accounts.filter(currency=currency)), Decimal("0"))


class BillerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Biller

    code = factory.Sequence(lambda n: f"BILLER{n}")
    name = factory.Sequence(lambda n: f"电力公司 {n}")
    kind = Biller.Kind.ELECTRICITY
    merchant = factory.SubFactory(MerchantFactory, category=Merchant.Category.UTILITIES)
    reference_pattern = r"\d{10}"
    reference_hint = "10 位户号"
