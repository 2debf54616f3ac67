"""The sandbox invoicing platform, for the demo and the tests.

- Issues 20-digit numbers like 全电发票: 2 digits of the year, 2 of the region
  (`INVOICE_SANDBOX_REGION`, default Shanghai 31), 1 of the channel (0: online), 15 of sequence.
- The same reference twice answers the same invoice (the platform dedupes by reference).
- `INVOICE_SANDBOX_FAILURE_RATE` (0 to 1) fails that share of requests as "unavailable";
  `INVOICE_SANDBOX_SEED` makes the failures repeatable (a seeded generator per process).
"""

import random
import secrets

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models_invoices import SandboxInvoiceRecord
from . import InvoicePlatformUnavailable, InvoiceRequest, IssuedInvoice

_generators: dict[str, random.Random] = {}


def _draw() -> float:
    seed = settings.INVOICE_SANDBOX_SEED
    if not seed:
        return secrets.SystemRandom().random()
    if seed not in _generators:
        _generators[seed] = random.Random(seed)  # noqa: S311  repeatable on purpose, not a secret
    return _generators[seed].random()


class SandboxInvoiceConnector:
    is_sandbox = True

    def issue(self, request: InvoiceRequest) -> IssuedInvoice:
        known = SandboxInvoiceRecord.objects.filter(reference=request.reference).first()
        if known is not None:
            return IssuedInvoice(number=known.number, issued_on=known.issued_on)
        rate = settings.INVOICE_SANDBOX_FAILURE_RATE
        if rate > 0 and _draw() < rate:
            raise InvoicePlatformUnavailable("sandbox: the invoicing platform is unavailable")
        today = timezone.localdate()
        try:
            with transaction.atomic():
                record = SandboxInvoiceRecord.objects.create(
                    reference=request.reference, issued_on=today
                )
                region = getattr(settings, "INVOICE_SANDBOX_REGION", "31")
                record.number = f"{today:%y}{region[:2]:0>2}0{record.pk:015d}"
                record.save(update_fields=["number"])
        except IntegrityError:
            record = SandboxInvoiceRecord.objects.get(reference=request.reference)
        return IssuedInvoice(number=record.number, issued_on=record.issued_on)
