"""Closing an account at the customer's request.

Apps above accounts say what stands in the way (`register_closure_blocker`: the wallet's
balances, payments still in progress) and what closing means for them
(`register_closure_action`: the wallet becomes closed), so accounts never imports them.

Nothing is deleted: the ledger, consents and security history are records the bank must keep.
The user becomes inactive, which ends every session (Django refuses an inactive user's session)
and every login; API tokens are deleted outright.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.services import notify, outbox_enqueue

from .models import SecurityEvent, User
from .services import security_event_record

ACCOUNT_CLOSED_ALERT = "accounts.account_closed"

ClosureBlocker = Callable[[User], list[str]]
ClosureAction = Callable[[User], None]
_blockers: list[ClosureBlocker] = []
_actions: list[ClosureAction] = []


def register_closure_blocker(fn: ClosureBlocker) -> None:
    """`fn(user)` returns the reasons (translated sentences) the account cannot close now."""
    if fn not in _blockers:
        _blockers.append(fn)


def register_closure_action(fn: ClosureAction) -> None:
    """`fn(user)` runs inside the closing transaction. It may raise ApplicationError to refuse
    after all (say, a blocker that appeared under its lock): then nothing is closed."""
    if fn not in _actions:
        _actions.append(fn)


def account_closure_check(*, user: User) -> list[str]:
    """Every reason the account cannot be closed now; empty when it can."""
    reasons: list[str] = []
    for blocker in _blockers:
        reasons.extend(str(reason) for reason in blocker(user))
    return reasons


def closure_refused(reasons: list[str]) -> ApplicationError:
    return ApplicationError(
        _("Your account cannot be closed yet."),
        code="closure_blocked",
        fields={"account": list(reasons)},
    )


def account_close(
    *,
    user: User,
    password: str,
    ip_address: str | None = None,
    user_agent: str = "",
    request=None,
) -> SecurityEvent:
    """Close the account of `user`, who confirmed with their password.

    Refused with a message on `password` when it is wrong (counted as a failed login, so
    guessing locks the account out), and with every reason on `account` while anything blocks.
    """
    if not password or not user.check_password(password):
        user_login_failed.send(sender=__name__, credentials={"email": user.email}, request=request)
        message = _("The password is not correct.")
        raise ApplicationError(message, code="wrong_password", fields={"password": [message]})
    reasons = account_closure_check(user=user)
    if reasons:
        raise closure_refused(reasons)
    return _close(user=user, ip_address=ip_address, user_agent=user_agent)


@transaction.atomic(durable=True)
def _close(*, user: User, ip_address: str | None, user_agent: str) -> SecurityEvent:
    return _close_within(user=user, ip_address=ip_address, user_agent=user_agent)


def account_close_by_staff(*, user: User) -> SecurityEvent:
    """Close `user`'s account on the bank's side (a four-eyes staff action, which runs inside
    its approval's transaction: so not durable). The same blockers apply, checked again here
    and once more by each closure action under its lock; the customer is told it was staff."""
    if not user.is_active:
        raise ApplicationError(_("This account is already closed."), code="already_closed")
    reasons = account_closure_check(user=user)
    if reasons:
        raise closure_refused(reasons)
    with transaction.atomic():
        return _close_within(user=user, ip_address=None, user_agent="", by_staff=True)


def _close_within(
    *, user: User, ip_address: str | None, user_agent: str, by_staff: bool = False
) -> SecurityEvent:
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.is_active:
        raise ApplicationError(_("This account is already closed."), code="already_closed")
    for action in _actions:
        action(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    Token.objects.filter(user=user).delete()
    event = security_event_record(
        user=user,
        kind=SecurityEvent.Kind.ACCOUNT_CLOSED,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    outbox_enqueue(
        topic=ACCOUNT_CLOSED_ALERT,
        payload={"security_event_id": event.pk, "by_staff": by_staff},
        dedupe_key=f"account-closed:{event.pk}",
    )
    return event


def account_closed_notice_send(*, security_event_id: int, by_staff: bool = False) -> None:
    """The confirmation by email (and SMS): sent although the user is now inactive."""
    event = SecurityEvent.objects.select_related("user").get(pk=security_event_id)
    when = timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M")
    if by_staff:
        notify(
            user=event.user,
            kind=Notification.Kind.SECURITY,
            title=_("Your wallet account is closed"),
            body=_(
                "Bank staff closed your account on %(time)s. You can no longer log in. As the "
                "law requires, we keep the records of your account and transactions for "
                "%(years)d years. If you did not ask for this, contact us at once."
            )
            % {"time": when, "years": settings.RECORDS_RETENTION_YEARS},
            dedupe_key=f"account-closed:{event.pk}",
        )
        return
    notify(
        user=event.user,
        kind=Notification.Kind.SECURITY,
        title=_("Your wallet account is closed"),
        body=_(
            "Your account was closed at your request on %(time)s. You can no longer log in. "
            "As the law requires, we keep the records of your account and transactions for "
            "%(years)d years. If you did not ask for this, contact us at once."
        )
        % {"time": when, "years": settings.RECORDS_RETENTION_YEARS},
        dedupe_key=f"account-closed:{event.pk}",
    )


def staff_accounts_stay_open(user: User) -> list[str]:
    if user.is_staff:
        return [_("Staff accounts are closed by the bank's administrators, not here.")]
    return []


register_closure_blocker(staff_accounts_stay_open)
