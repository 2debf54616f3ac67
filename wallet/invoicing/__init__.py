"""The e-invoice connector: how the wallet asks the tax authority's invoicing platform (全电发票
服务平台) for an invoice.

No real platform is reachable, so `settings.INVOICE_CONNECTOR` names an implementation of
`InvoiceConnector`; the sandbox (wallet.invoicing.sandbox) behaves like one, failing on purpose
when told to. A real adapter replaces it by setting, nothing else. It is called from an outbox
task (wallet/invoices.py), never inside a request: the platform may be slow or down.
"""

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class InvoiceRequest:
    reference: str  # the wallet's own, unique per attempt round: the platform dedupes by it
    kind: str  # "blue" or "red"
    seller_name: str
    seller_taxpayer_id: str
    buyer_name: str
    buyer_taxpayer_id: str
    amount: Decimal  # tax-inclusive; negative for a red-letter invoice
    tax_rate: Decimal
    tax_amount: Decimal
    currency: str
    cancels_number: str = ""  # the invoice a red-letter invoice cancels


@dataclass(frozen=True)
class IssuedInvoice:
    number: str  # 20 digits, as 全电发票 numbers are
    issued_on: date


class InvoicePlatformUnavailable(Exception):
    """The platform did not answer or refused for now: the caller retries later."""


class InvoiceConnector(Protocol):
    is_sandbox: bool

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        """Issue (or, for the same reference, answer again with) an invoice."""


@functools.cache
def _connector_class(path: str):
    return import_string(path)


def invoice_connector() -> InvoiceConnector:
    return _connector_class(settings.INVOICE_CONNECTOR)()
