"""Shared by the e-invoice tests: a customer's merchant payment and invoice titles."""

import itertools
import uuid
from decimal import Decimal

from tests.wallet.factories import MerchantFactory, funded_wallet
from wallet import invoices, services
from wallet.invoicing.uscc import uscc_complete
from wallet.models import Merchant

# Published codes whose check character is right (GB 32100-2015's own example, and two large
# Shenzhen companies' codes as printed on their invoices).
_sequence = itertools.count(1)
VALID_CODES = ("91350100M000100Y43", "914403001922038216", "91440300708461136T")


def invoicing_merchant(category=Merchant.Category.FOOD, **kwargs) -> Merchant:
    seq = next(_sequence)
    return MerchantFactory(
        category=category,
        taxpayer_id=uscc_complete(f"91310000MA1{seq:06d}"),
        **kwargs,
    )


def paid(wallet, merchant, amount="106.00", key=None):
    return services.payment_create(
        payer_user=wallet.user,
        merchant_code=merchant.code,
        amount=Decimal(amount),
        currency="CNY",
        idempotency_key=key or uuid.uuid4().hex,
    ).transaction


def customer_with_payment(amount="106.00", balance="1000.00", **merchant_kwargs):
    wallet = funded_wallet(balance)
    merchant = invoicing_merchant(**merchant_kwargs)
    return wallet, merchant, paid(wallet, merchant, amount)


def person_title(user, name="张三"):
    return invoices.invoice_title_create(user=user, values={"kind": "person", "name": name})


def company_title(user, name="上海测试科技有限公司", code=VALID_CODES[0]):
    return invoices.invoice_title_create(
        user=user, values={"kind": "company", "name": name, "taxpayer_id": code}
    )
