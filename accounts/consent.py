"""Consent: terms and privacy accepted at sign-up, marketing per channel (off by default).

Every change is a new Consent row with the version it was about, so the bank can show what a
customer agreed to and when.
"""

from django.conf import settings
from django.db import transaction

from .models import Consent, User

CHANNEL_OF_KIND = {Consent.Kind.MARKETING_EMAIL: "email", Consent.Kind.MARKETING_SMS: "sms"}


def _version(kind: str) -> str:
    return {
        Consent.Kind.TERMS: settings.TERMS_VERSION,
        Consent.Kind.PRIVACY: settings.PRIVACY_VERSION,
    }.get(kind, settings.MARKETING_CONSENT_VERSION)


@transaction.atomic
def consents_record(*, user: User, choices: dict[str, bool]) -> list[Consent]:
    """Record each choice that differs from the customer's current one."""
    current = current_consents(user)
    rows = [
        Consent(user=user, kind=kind, version=_version(kind), granted=granted)
        for kind, granted in choices.items()
        if current.get(kind) != granted or kind in (Consent.Kind.TERMS, Consent.Kind.PRIVACY)
    ]
    return Consent.objects.bulk_create(rows)


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
