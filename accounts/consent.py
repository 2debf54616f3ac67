"""Consent: terms and privacy accepted at sign-up, marketing per channel and personalised
offers (each off by default).

Every change is a new Consent row with the version it was about, so the bank can show what a
customer agreed to and when.
"""

from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from .models import Consent, User

CHANNEL_OF_KIND = {Consent.Kind.MARKETING_EMAIL: "email", Consent.Kind.MARKETING_SMS: "sms"}


def _version(kind: str) -> str:
    return {
        Consent.Kind.TERMS: settings.TERMS_VERSION,
        Consent.Kind.PRIVACY: settings.PRIVACY_VERSION,
    }.get(kind, settings.MARKETING_CONSENT_VERSION)


# Apps above accounts react to a withdrawal (promotions deletes the segments it computed when
# personalisation is withdrawn): `hook(user)` runs in the withdrawal's transaction.
_withdrawal_hooks: dict[str, list[Callable[[User], None]]] = {}


def register_withdrawal_hook(kind: str, hook: Callable[[User], None]) -> None:
    hooks = _withdrawal_hooks.setdefault(kind, [])
    if hook not in hooks:
        hooks.append(hook)


@transaction.atomic
def consents_record(*, user: User, choices: dict[str, bool]) -> list[Consent]:
    """Record each choice that differs from the customer's current one; a withdrawal runs its
    kind's hooks in the same transaction (so nothing computed under it outlives it)."""
    current = current_consents(user)
    rows = [
        Consent(user=user, kind=kind, version=_version(kind), granted=granted)
        for kind, granted in choices.items()
        if current.get(kind) != granted or kind in (Consent.Kind.TERMS, Consent.Kind.PRIVACY)
    ]
    created = Consent.objects.bulk_create(rows)
    for row in created:
        if not row.granted:
            for hook in _withdrawal_hooks.get(row.kind, []):
                hook(user)
    return created


def current_consents(user: User) -> dict[str, bool]:
    """The latest choice per kind (one query)."""
    latest: dict[str, bool] = {}
    for kind, granted in (
        Consent.objects.filter(user=user)
        .order_by("-created_at", "-id")
        .values_list("kind", "granted")
    ):
        latest.setdefault(kind, granted)
    return latest


def marketing_channels(user) -> set[str]:
    consents = current_consents(user)
    return {channel for kind, channel in CHANNEL_OF_KIND.items() if consents.get(kind)}


def users_consenting(kind: str) -> QuerySet[User]:
    """Active customers whose latest choice of `kind` is granted (one query, for sets)."""
    latest = Consent.objects.filter(user=OuterRef("pk"), kind=kind).order_by("-created_at", "-id")
    return User.objects.filter(is_staff=False, is_active=True).filter(
        pk__in=User.objects.annotate(granted=Subquery(latest.values("granted")[:1]))
        .filter(granted=True)
        .values("pk")
    )


def has_consented(user: User, kind: str) -> bool:
    latest = (
        Consent.objects.filter(user=user, kind=kind)
        .order_by("-created_at", "-id")
        .values_list("granted", flat=True)
        .first()
    )
    return bool(latest)
