"""What each rule checks. One function per rule code: `check(rule, movement) -> bool`, at most
one or two queries each and never a query per row, so an evaluation costs a fixed number of
queries whatever the customer's history. Thresholds are inclusive (at or over hits)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from axes.models import AccessFailureLog
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from accounts.models import SecurityEvent
from accounts.models import User as UserModel

from ..models import Entry, FundingOrder, PaymentRequest, Transaction, Wallet
from .models import RiskRule

# Money going to someone else, as the limits count it (wallet/services/limits.py).
OUTGOING_KINDS = (
    Transaction.Kind.TRANSFER,
    Transaction.Kind.PAYMENT,
    Transaction.Kind.BILL,
    Transaction.Kind.WITHDRAWAL,
    Transaction.Kind.CASH_OUT,
)
COUNTED_STATUSES = (
    Transaction.Status.COMPLETED,
    Transaction.Status.PENDING,
    Transaction.Status.HELD,
)
# The history the unusual-hour rule reads, at most (one query, bounded).
HOUR_HISTORY_ROWS = 200


@dataclass
class Movement:
    """One outgoing movement about to be posted, as the rules see it."""

    user: UserModel
    wallet: Wallet
    kind: str  # transfer, request, payment, withdrawal
    amount: Decimal
    currency: str
    amount_cny: Decimal
    payee: str = ""  # wallet handle, merchant code
    payee_wallet_id: int | None = None
    now: datetime = field(default_factory=timezone.now)
    # Every enabled velocity rule's window (minutes): their totals are read in one query.
    velocity_windows: tuple[int, ...] = ()
    _window_totals: dict | None = field(default=None, repr=False)

    def since(self, minutes: int | None) -> datetime:
        return self.now - timedelta(minutes=minutes or 0)


def _outgoing(movement: Movement):
    return Transaction.objects.filter(
        initiated_by=movement.user, kind__in=OUTGOING_KINDS, status__in=COUNTED_STATUSES
    )


def _large_enough(rule: RiskRule, movement: Movement) -> bool:
    return rule.amount_threshold is None or movement.amount_cny >= rule.amount_threshold


def large_amount(rule: RiskRule, movement: Movement) -> bool:
    if rule.amount_threshold is None:
        return False
    if rule.kyc_level is not None and movement.user.kyc_level != rule.kyc_level:
        return False
    return movement.amount_cny >= rule.amount_threshold


def _outgoing_in_windows(movement: Movement) -> dict[int, tuple[int, Decimal]]:
    """{window minutes: (payments, amount)} of the customer's outgoing money in each velocity
    window, in one query for all the windows (each rule asking its own was a query per rule on
    every payment). Other currencies count at face value: windows are short, rates move little."""
    if movement._window_totals is None:
        windows = sorted(set(movement.velocity_windows))
        aggregates = {}
        for minutes in windows:
            inside = Q(transaction__created_at__gte=movement.since(minutes))
            aggregates[f"n{minutes}"] = Count("transaction", distinct=True, filter=inside)
            aggregates[f"t{minutes}"] = Sum("amount", filter=inside)
        totals = (
            Entry.objects.filter(
                account__wallet=movement.wallet,
                amount__lt=0,
                transaction__kind__in=OUTGOING_KINDS,
                transaction__status__in=COUNTED_STATUSES,
                transaction__created_at__gte=movement.since(max(windows)),
            ).aggregate(**aggregates)
            if windows
            else {}
        )
        movement._window_totals = {
            minutes: (totals[f"n{minutes}"] or 0, -(totals[f"t{minutes}"] or Decimal(0)))
            for minutes in windows
        }
    return movement._window_totals


def velocity(rule: RiskRule, movement: Movement) -> bool:
    """This payment is the N-th in the window, or brings the window's total to the amount."""
    if not rule.window_minutes or (rule.count_threshold is None and rule.amount_threshold is None):
        return False
    if rule.window_minutes not in movement.velocity_windows:
        movement.velocity_windows = (*movement.velocity_windows, rule.window_minutes)
        movement._window_totals = None
    earlier, earlier_total = _outgoing_in_windows(movement)[rule.window_minutes]
    count, total = 1 + earlier, movement.amount_cny + earlier_total
    if rule.count_threshold is not None and count >= rule.count_threshold:
        return True
    return rule.amount_threshold is not None and total >= rule.amount_threshold


def new_payee(rule: RiskRule, movement: Movement) -> bool:
    if not movement.payee or rule.amount_threshold is None or not _large_enough(rule, movement):
        return False
    key = "merchant_code" if movement.kind == "payment" else "to_wallet"
    return not _outgoing(movement).filter(**{f"metadata__{key}": movement.payee}).exists()


def new_device(rule: RiskRule, movement: Movement) -> bool:
    """The latest login from a new device is within the window and nothing was paid since."""
    if not rule.window_minutes or not _large_enough(rule, movement):
        return False
    paid_after = _outgoing(movement).filter(created_at__gt=OuterRef("created_at"))
    latest = (
        SecurityEvent.objects.filter(
            user=movement.user,
            kind=SecurityEvent.Kind.NEW_DEVICE_LOGIN,
            created_at__gte=movement.since(rule.window_minutes),
        )
        .annotate(paid_after=Exists(paid_after))
        .order_by("-created_at")
        .values_list("paid_after", flat=True)
        .first()
    )
    return latest is not None and not latest


def _hour_distance(a: int, b: int) -> int:
    difference = abs(a - b) % 24
    return min(difference, 24 - difference)


def unusual_hour(rule: RiskRule, movement: Movement) -> bool:
    """Enough history (count threshold) and none of it within an hour of this time of day,
    in the bank's time zone."""
    if rule.count_threshold is None or not _large_enough(rule, movement):
        return False
    days = rule.lookback_days or 90
    history = list(
        _outgoing(movement)
        .filter(created_at__gte=movement.now - timedelta(days=days))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:HOUR_HISTORY_ROWS]
    )
    if len(history) < max(rule.count_threshold, 1):
        return False
    hour = timezone.localtime(movement.now).hour
    return all(_hour_distance(timezone.localtime(at).hour, hour) > 1 for at in history)


def failed_logins(rule: RiskRule, movement: Movement) -> bool:
    """Failed logins (django-axes' failure log) plus wrong second-factor codes in the window."""
    if rule.count_threshold is None or not rule.window_minutes:
        return False
    since = movement.since(rule.window_minutes)
    logins = (
        AccessFailureLog.objects.filter(
            username=movement.user.email.lower(), attempt_time__gte=since
        )
        .order_by()
        .values("pk")
    )
    codes = (
        SecurityEvent.objects.filter(
            user=movement.user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED, created_at__gte=since
        )
        .order_by()
        .values("pk")
    )
    return logins.union(codes, all=True).count() >= rule.count_threshold


def many_requests(rule: RiskRule, movement: Movement) -> bool:
    """Paying a request whose maker has been paid by many different people in the window:
    a collector of scam requests. This payer counts."""
    if movement.kind != "request" or movement.payee_wallet_id is None:
        return False
    if rule.count_threshold is None or not rule.window_minutes:
        return False
    payers = set(
        PaymentRequest.objects.filter(
            requester_id=movement.payee_wallet_id,
            paid_by__isnull=False,
            paid_by__created_at__gte=movement.since(rule.window_minutes),
        )
        .values_list("paid_by__initiated_by", flat=True)
        .distinct()
    )
    payers.add(movement.user.pk)
    return len(payers) >= rule.count_threshold


def cash_out(rule: RiskRule, movement: Movement) -> bool:
    """A withdrawal within the window after a top-up from a card linked in the last days."""
    if (
        movement.kind != "withdrawal"
        or not rule.window_minutes
        or not _large_enough(rule, movement)
    ):
        return False
    return FundingOrder.objects.filter(
        wallet=movement.wallet,
        direction=FundingOrder.Direction.TOP_UP,
        status=FundingOrder.Status.COMPLETED,
        created_at__gte=movement.since(rule.window_minutes),
        source__created_at__gte=movement.now - timedelta(days=rule.lookback_days or 1),
    ).exists()


CHECKS: dict[str, Callable[[RiskRule, Movement], bool]] = {
    RiskRule.Code.LARGE_AMOUNT: large_amount,
    RiskRule.Code.VELOCITY: velocity,
    RiskRule.Code.NEW_PAYEE: new_payee,
    RiskRule.Code.NEW_DEVICE: new_device,
    RiskRule.Code.UNUSUAL_HOUR: unusual_hour,
    RiskRule.Code.FAILED_LOGINS: failed_logins,
    RiskRule.Code.MANY_REQUESTS: many_requests,
    RiskRule.Code.CASH_OUT: cash_out,
}
