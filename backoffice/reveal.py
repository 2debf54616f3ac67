"""Revealing one masked field of a customer, on a second factor confirmed again.

The customer view shows personal data masked. A staff member who needs one field in full (to read
a phone number back to the customer, to check a document number) reveals it: one field, one audit
event. Revealing needs the second factor confirmed again — a code typed now; the login's
verification does not count (it may be hours old). A code typed for a reveal covers further
reveals for settings.BACKOFFICE_REVEAL_FRESH_SECONDS (default 5 minutes), so reading three fields
to a customer does not mean three codes; each reveal is still audited on its own, with how it was
verified ("code" or "recent").
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import IdentityDocument, User
from accounts.services import second_factor_check

from .models import AuditEvent
from .selectors import can_look_up_customers, customer_visible_or_none

FRESH_KEY = "backoffice_reveal_verified_at"

# Field name -> its label; the value is read by _value_of.
REVEALABLE = {
    "name": _("Name"),
    "phone": _("Phone"),
    "email": _("Email"),
    "document_number": _("Identity document"),
}


@dataclass(frozen=True)
class RevealResult:
    field: str
    value: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def reveal_fresh(request) -> bool:
    """Whether a code typed for a reveal in this session is recent enough to cover another."""
    verified_at = request.session.get(FRESH_KEY) if request is not None else None
    return (
        bool(verified_at) and time.time() - verified_at <= settings.BACKOFFICE_REVEAL_FRESH_SECONDS
    )


def _value_of(customer: User, field: str) -> str:
    if field == "name":
        return customer.full_name
    if field == "phone":
        return customer.phone or ""
    if field == "email":
        return customer.email
    document = IdentityDocument.objects.filter(user=customer).only("number").first()
    return document.number if document else ""


def customer_field_reveal(*, actor: User, pk: int, field: str, code: str, request) -> RevealResult:
    """One field of one customer in full, or why not; exactly one audit event either way.

    A customer out of the staff member's scope (or none) is refused and answered with Http404,
    like opening them; a wrong code or an unknown field is refused with an error to show."""
    from .services import audit_record

    customer = customer_visible_or_none(user=actor, pk=pk) if can_look_up_customers(actor) else None

    def refuse(reason: str, whom=customer) -> None:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=AuditEvent.Action.REVEAL,
                customer=whom,
                detail={"field": field[:40], "refused": reason, "pk": pk},
                request=request,
                outcome=AuditEvent.Outcome.REFUSED,
            )

    if customer is None:
        refuse(
            "out_of_scope", User.objects.filter(pk=pk, is_staff=False, is_superuser=False).first()
        )
        raise Http404
    if field not in REVEALABLE:
        refuse("unknown_field")
        return RevealResult(field=field, error=str(_("This field cannot be revealed.")))
    verified = "recent" if reveal_fresh(request) else "code"
    if verified == "code":
        if not code.strip():
            refuse("no_code")
            return RevealResult(
                field=field, error=str(_("Enter the code from your authenticator."))
            )
        if second_factor_check(user=actor, token=code, request=request) is None:
            refuse("wrong_code")
            return RevealResult(field=field, error=str(_("That code is not right. Try again.")))
        request.session[FRESH_KEY] = time.time()
    with transaction.atomic():
        value = _value_of(customer, field)
        audit_record(
            actor=actor,
            action=AuditEvent.Action.REVEAL,
            customer=customer,
            detail={"field": field, "verified": verified},
            request=request,
        )
    return RevealResult(field=field, value=value)
