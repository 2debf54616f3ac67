"""Setup links: how a customer onboarded at a branch gets into their wallet without anyone on
the staff ever knowing a password. The branch issues a one-time link (a QR code on the counter
screen, and the same link by SMS); the customer opens it on their phone and sets their own
password, then enrols a second factor. Only a hash of the token is stored."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.api_errors import ApplicationError
from notifications.services import sms_send

from .models import SecurityEvent, SetupLink, User
from .services import security_event_record


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def setup_link_issue(*, user: User, created_by: User | None, send_to_phone: str = "", url_of=None):
    """A new link for `user` (earlier unused ones are voided). Returns (link, token): the token
    is never stored, so the caller shows it now or never. With `send_to_phone` and `url_of`
    (token -> absolute URL) the link also goes out by SMS after commit."""
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        SetupLink.objects.filter(user=user, used_at__isnull=True, voided_at__isnull=True).update(
            voided_at=now
        )
        link = SetupLink.objects.create(
            user=user,
            token_hash=_token_hash(token),
            created_by=created_by,
            created_at=now,
            expires_at=now + timedelta(hours=settings.SETUP_LINK_TTL_HOURS),
        )
        if send_to_phone and url_of is not None:
            body = _(
                "[Digital wallet] Your wallet is open. Set your password within %(hours)d hours "
                "at %(url)s . Staff will never ask for your password."
            ) % {"hours": settings.SETUP_LINK_TTL_HOURS, "url": url_of(token)}
            transaction.on_commit(lambda: sms_send(to=send_to_phone, body=body))
    return link, token


def _refusal(message: str, code: str) -> ApplicationError:
    return ApplicationError(message, code=code, fields={"token": [message]}, status_code=404)


def setup_link_valid(token: str, *, lock: bool = False) -> SetupLink:
    """The live link for `token`, or an ApplicationError saying why it cannot be used."""
    links = SetupLink.objects.select_related("user")
    if lock:
        links = links.select_for_update(of=("self",))
    link = links.filter(token_hash=_token_hash(token or "")).first()
    if link is None:
        raise _refusal(
            _("This setup link is not valid. Ask at your branch for a new one."), "unknown"
        )
    if link.used_at is not None:
        raise _refusal(
            _(
                "This setup link was already used. Log in with your password, or ask at your branch for a new link."
            ),
            "used",
        )
    if link.voided_at is not None:
        raise _refusal(
            _("This setup link was replaced by a newer one. Use the latest link we sent you."),
            "voided",
        )
    if link.expires_at <= timezone.now():
        raise _refusal(
            _("This setup link has expired. Ask at your branch for a new one."), "expired"
        )
    if not link.user.is_active:
        raise _refusal(
            _("This setup link is not valid. Ask at your branch for a new one."), "unknown"
        )
    return link


@transaction.atomic
def setup_link_use(*, token: str, password: str) -> User:
    """Set the customer's own password (Django's password validators apply) and use the link up."""
    link = setup_link_valid(token, lock=True)
    user = link.user
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ApplicationError(
            exc.messages[0], code="password_invalid", fields={"password1": exc.messages}
        ) from exc
    user.set_password(password)
    user.second_factor_required = True
    user.save(update_fields=["password", "second_factor_required"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    security_event_record(user=user, kind=SecurityEvent.Kind.PASSWORD_SET_BY_LINK)
    return user
