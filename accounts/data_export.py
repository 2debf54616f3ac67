"""The customer's own data as one JSON document (the right to a copy of one's data).

Accounts owns the document and its own sections (profile, consents, security history, devices);
apps above it plug theirs in with `register_export_section` from their AppConfig.ready(), so
accounts never imports them. A section is `fn(user) -> dict | list` of JSON-native values only
(amounts as strings, times as ISO 8601), costs a fixed number of queries however much the
customer has, and lists fields one by one: nothing secret (password hash, TOTP keys, backup
codes, device tokens) can slip in with a whole row.
"""

from collections.abc import Callable
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from .models import Consent, KnownDevice, LinkedAccount, SecurityEvent, User
from .services import security_event_record

EXPORT_FORMAT_VERSION = 1

ExportSection = Callable[[User], dict | list]
_sections: dict[str, ExportSection] = {}


def register_export_section(name: str, fn: ExportSection) -> None:
    """Add (or replace) the top-level key `name` of every export, filled by `fn(user)`."""
    _sections[name] = fn


def iso(moment: datetime | None) -> str | None:
    """A time as the export writes it: ISO 8601 in the portal's time zone."""
    return timezone.localtime(moment).isoformat() if moment else None


def data_export_build(*, user: User) -> dict:
    """Everything the portal keeps about `user`, by section. Reads only."""
    document: dict = {
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": iso(timezone.now()),
        "user_id": user.pk,
    }
    for name, section in _sections.items():
        document[name] = section(user)
    return document


@transaction.atomic
def data_export_create(*, user: User, ip_address: str | None = None, user_agent: str = "") -> dict:
    """The export the customer downloads, recorded in their security history first."""
    security_event_record(
        user=user,
        kind=SecurityEvent.Kind.DATA_EXPORTED,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    return data_export_build(user=user)


# --- the accounts' own sections ----------------------------------------------------------


def _profile(user: User) -> dict:
    return {
        "email": user.email,
        "email_addresses": [
            {"email": email, "verified": verified, "primary": primary}
            for email, verified, primary in EmailAddress.objects.filter(user=user)
            .order_by("-primary", "email")
            .values_list("email", "verified", "primary")
        ],
        "phone": user.phone or None,
        "full_name": user.full_name,
        "kyc_level": user.kyc_level,
        "kyc_level_label": str(User.KycLevel(user.kyc_level).label),
        "date_joined": iso(user.date_joined),
        "last_login": iso(user.last_login),
        "is_active": user.is_active,
    }


def _consents(user: User) -> list:
    return [
        {"kind": kind, "version": version, "granted": granted, "at": iso(created_at)}
        for kind, version, granted, created_at in Consent.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("kind", "version", "granted", "created_at")
    ]


def _security_events(user: User) -> list:
    return [
        {
            "kind": kind,
            "at": iso(created_at),
            "ip_address": ip_address,
            "user_agent": user_agent,
            "detail": detail,
        }
        for kind, created_at, ip_address, user_agent, detail in SecurityEvent.objects.filter(
            user=user
        )
        .order_by("created_at", "id")
        .values_list("kind", "created_at", "ip_address", "user_agent", "detail")
    ]


def _known_devices(user: User) -> list:
    # The device token's hash stays out: it is a credential, not information about the customer.
    return [
        {"user_agent": user_agent, "first_seen": iso(first_seen), "last_seen": iso(last_seen)}
        for user_agent, first_seen, last_seen in KnownDevice.objects.filter(user=user)
        .order_by("first_seen", "id")
        .values_list("user_agent", "first_seen", "last_seen")
    ]


def _second_factors(user: User) -> list:
    """Which second factors the customer has and when: names and dates, never keys or codes."""
    found = []
    for kind, model in (("authenticator_app", TOTPDevice), ("passkey", WebAuthnCredential)):
        for name, created_at, last_used_at in (
            model.objects.filter(user=user, confirmed=True)
            .order_by("created_at", "id")
            .values_list("name", "created_at", "last_used_at")
        ):
            found.append(
                {
                    "type": kind,
                    "name": name,
                    "created_at": iso(created_at),
                    "last_used_at": iso(last_used_at),
                }
            )
    for created_at, last_used_at, left in (
        StaticDevice.objects.filter(user=user)
        .annotate(left=Count("token_set"))
        .order_by("id")
        .values_list("created_at", "last_used_at", "left")
    ):
        found.append(
            {
                "type": "backup_codes",
                "codes_left": left,
                "created_at": iso(created_at),
                "last_used_at": iso(last_used_at),
            }
        )
    return found


def _linked_accounts(user: User) -> list:
    """What we keep of each card or account: never the number (only the bank has it)."""
    return [
        {
            "id": account.pk,
            "kind": account.kind,
            "bank": account.get_bank_display(),
            "holder_name": account.holder_name,
            "last4": account.last4,
            "expiry": account.expiry,
            "status": account.status,
            "is_default": account.is_default,
            "linked_at": iso(account.created_at),
            "verified_at": iso(account.verified_at),
            "removed_at": iso(account.removed_at),
        }
        for account in LinkedAccount.objects.filter(user=user).order_by("created_at", "pk")
    ]


register_export_section("profile", _profile)
register_export_section("consents", _consents)
register_export_section("security_events", _security_events)
register_export_section("known_devices", _known_devices)
register_export_section("second_factors", _second_factors)
register_export_section("linked_accounts", _linked_accounts)
