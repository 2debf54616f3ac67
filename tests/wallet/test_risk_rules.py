"""Each risk rule hits at or over its threshold and not under it, judged in the service call
that moves the money, with every evaluation recorded."""

from datetime import timedelta
from decimal import Decimal

import pgtrigger
import pytest
from axes.models import AccessFailureLog
from django.utils import timezone

from accounts.models import LinkedAccount, SecurityEvent
from wallet import services
from wallet.models import FundingOrder, RiskEvaluation, RiskRule, Transaction
from wallet.risk.services import risk_evaluate

from .factories import MerchantFactory, WalletFactory, balance, funded_wallet
from .risk_support import rule, transfer

pytestmark = pytest.mark.django_db

Code = RiskRule.Code


@pytest.fixture
def sender():
    return funded_wallet("5000.00")


@pytest.fixture
def payee():
    return WalletFactory()


def judge(wallet, amount, kind="transfer", payee="", payee_wallet_id=None):
    return risk_evaluate(
        user=wallet.user,
        wallet=wallet,
        kind=kind,
        amount=Decimal(amount),
        currency="CNY",
        payee=payee,
        payee_wallet_id=payee_wallet_id,
    )


def hit(wallet, amount, **kwargs) -> bool:
    return bool(judge(wallet, amount, **kwargs).hits)


def pay(sender, payee, amount, key):
    return services.transfer_create(
        sender_user=sender.user,
        to=payee.handle,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    ).transaction


# --- large amount for the KYC level ---------------------------------------------------------


def test_large_amount_hits_at_the_threshold_for_its_level_only(sender):
    rule(Code.LARGE_AMOUNT, amount_threshold="500", kyc_level=sender.user.kyc_level)
    assert hit(sender, "500.00")
    assert hit(sender, "500.01")
    assert not hit(sender, "499.99")
    RiskRule.objects.update(kyc_level=sender.user.kyc_level + 1)
    assert not hit(sender, "900.00")


# --- velocity ----------------------------------------------------------------------------------


def test_velocity_by_count_hits_on_the_nth_payment_in_the_window(sender, payee):
    pay(sender, payee, "1.00", "v1")
    rule(Code.VELOCITY, count_threshold=3, window_minutes=10)
    assert not hit(sender, "1.00")  # the 2nd
    pay(sender, payee, "1.00", "v2")
    assert hit(sender, "1.00")  # the 3rd


def test_velocity_by_amount_hits_when_the_window_total_reaches_it(sender, payee):
    pay(sender, payee, "300.00", "va")
    rule(Code.VELOCITY, amount_threshold="500", window_minutes=10)
    assert hit(sender, "200.00")
    assert not hit(sender, "199.99")


def _backdate(txn, when) -> None:
    """Move a posted payment into the past: the ledger freezes its time (on PostgreSQL, a trigger),
    so the test steps around that trigger for this one update."""
    with pgtrigger.ignore("wallet.Transaction:transaction_sealed_columns_frozen"):
        Transaction.objects.filter(pk=txn.pk).update(created_at=when)


def test_velocity_forgets_payments_older_than_the_window(sender, payee):
    old = pay(sender, payee, "300.00", "old")
    _backdate(old, timezone.now() - timedelta(minutes=11))
    rule(Code.VELOCITY, amount_threshold="500", window_minutes=10)
    assert not hit(sender, "200.00")


# --- new payee with a large amount ---------------------------------------------------------------


def test_new_payee_hits_at_the_amount_and_only_for_someone_never_paid(sender, payee):
    rule(Code.NEW_PAYEE, amount_threshold="200")
    assert hit(sender, "200.00", payee=payee.handle)
    assert not hit(sender, "199.99", payee=payee.handle)
    pay(sender, payee, "1.00", "known")
    assert not hit(sender, "200.00", payee=payee.handle)


# --- first payment after a login from a new device ----------------------------------------------


def _new_device_login(user, minutes_ago=0):
    event = SecurityEvent.objects.create(user=user, kind=SecurityEvent.Kind.NEW_DEVICE_LOGIN)
    SecurityEvent.objects.filter(pk=event.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_new_device_hits_the_first_payment_after_the_login_only(sender, payee):
    rule(Code.NEW_DEVICE, window_minutes=60)
    assert not hit(sender, "10.00")  # no new device
    _new_device_login(sender.user, minutes_ago=5)
    assert hit(sender, "10.00")
    pay(sender, payee, "1.00", "after-login")
    assert not hit(sender, "10.00")  # no longer the first


def test_new_device_login_outside_the_window_does_not_hit(sender):
    rule(Code.NEW_DEVICE, window_minutes=60)
    _new_device_login(sender.user, minutes_ago=61)
    assert not hit(sender, "10.00")
    _new_device_login(sender.user, minutes_ago=59)
    assert hit(sender, "10.00")


def test_new_device_with_an_amount_hits_only_at_it(sender):
    rule(Code.NEW_DEVICE, window_minutes=60, amount_threshold="100")
    _new_device_login(sender.user)
    assert hit(sender, "100.00")
    assert not hit(sender, "99.99")


# --- unusual hour ----------------------------------------------------------------------------------


def _history_at(sender, payee, hours_ago: list[int]):
    for i, hours in enumerate(hours_ago):
        txn = pay(sender, payee, "1.00", f"h{i}")
        _backdate(txn, timezone.now() - timedelta(days=1 + i, hours=hours))


def test_unusual_hour_needs_enough_history_then_hits_an_hour_never_used(sender, payee):
    # History five hours away from now (in time of day): now is unusual.
    _history_at(sender, payee, [5, 5, 6])
    rule(Code.UNUSUAL_HOUR, count_threshold=3, lookback_days=30)
    assert hit(sender, "10.00")
    RiskRule.objects.update(count_threshold=4)
    assert not hit(sender, "10.00")  # too little history to judge


def test_unusual_hour_does_not_hit_within_an_hour_of_a_usual_time(sender, payee):
    _history_at(sender, payee, [5, 5, 1])
    rule(Code.UNUSUAL_HOUR, count_threshold=3, lookback_days=30)
    assert not hit(sender, "10.00")


# --- repeated failed logins or second-factor failures -------------------------------------------


def _failed_login(user, minutes_ago=0):
    log = AccessFailureLog.objects.create(
        username=user.email.lower(), user_agent="test", http_accept="*/*", path_info="/login/"
    )
    AccessFailureLog.objects.filter(pk=log.pk).update(
        attempt_time=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_failed_logins_and_codes_hit_at_the_count_in_the_window(sender):
    rule(Code.FAILED_LOGINS, count_threshold=3, window_minutes=30)
    _failed_login(sender.user)
    SecurityEvent.objects.create(user=sender.user, kind=SecurityEvent.Kind.SECOND_FACTOR_FAILED)
    assert not hit(sender, "10.00")
    _failed_login(sender.user, minutes_ago=31)  # outside the window
    assert not hit(sender, "10.00")
    _failed_login(sender.user, minutes_ago=29)
    assert hit(sender, "10.00")


# --- many payment requests paid by different people ---------------------------------------------


def test_many_requests_hits_when_the_requester_was_paid_by_n_different_people(payee):
    rule(Code.MANY_REQUESTS, count_threshold=3, window_minutes=60)
    for i in range(2):
        request = services.payment_request_create(user=payee.user, amount="5.00", currency="CNY")
        payer = funded_wallet("100.00")
        services.payment_request_pay(
            payer_user=payer.user, token=request.token, idempotency_key=f"r{i}"
        )
    third = funded_wallet("100.00")
    # Two earlier payers plus this one: three different people.
    assert hit(third, "5.00", kind="request", payee=payee.handle, payee_wallet_id=payee.pk)
    RiskRule.objects.update(count_threshold=4)
    assert not hit(third, "5.00", kind="request", payee=payee.handle, payee_wallet_id=payee.pk)


# --- withdrawal soon after a top-up from a newly linked card --------------------------------------


def _top_up_from_card(wallet, *, card_age_days, minutes_ago):
    card = LinkedAccount.objects.create(
        user=wallet.user,
        kind=LinkedAccount.Kind.DEBIT_CARD,
        status=LinkedAccount.Status.VERIFIED,
        token=f"tok-{card_age_days}-{minutes_ago}",
        bank="icbc",
        holder_name="测试",
        last4="4242",
        created_at=timezone.now() - timedelta(days=card_age_days),
    )
    order = FundingOrder.objects.create(
        direction=FundingOrder.Direction.TOP_UP,
        status=FundingOrder.Status.COMPLETED,
        wallet=wallet,
        source=card,
        amount=Decimal("1000"),
        currency="CNY",
        initiated_by=wallet.user,
        idempotency_key=f"t-{card_age_days}-{minutes_ago}",
        request_fingerprint="x",
    )
    FundingOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_cash_out_hits_a_withdrawal_soon_after_a_top_up_from_a_new_card(sender):
    rule(Code.CASH_OUT, window_minutes=60, lookback_days=3)
    assert not hit(sender, "100.00", kind="withdrawal")
    _top_up_from_card(sender, card_age_days=5, minutes_ago=10)  # an old card
    assert not hit(sender, "100.00", kind="withdrawal")
    _top_up_from_card(sender, card_age_days=1, minutes_ago=61)  # too long ago
    assert not hit(sender, "100.00", kind="withdrawal")
    _top_up_from_card(sender, card_age_days=1, minutes_ago=59)
    assert hit(sender, "100.00", kind="withdrawal")
    assert not hit(sender, "100.00", kind="transfer")


# --- in the service call that moves money ---------------------------------------------------------


def test_every_transfer_is_recorded_with_the_rules_hit_and_score(sender, payee):
    rule(Code.LARGE_AMOUNT, action=RiskRule.Action.FLAG, amount_threshold="100", score=30)
    rule(Code.NEW_PAYEE, action=RiskRule.Action.FLAG, amount_threshold="50", score=20)
    assert transfer(sender.user, payee.handle, "100.00", "a").status_code == 201
    assert transfer(sender.user, payee.handle, "10.00", "b").status_code == 201
    first, second = RiskEvaluation.objects.order_by("pk")
    assert (first.outcome, first.score, sorted(first.rules_hit)) == (
        "flag",
        50,
        ["large_amount", "new_payee"],
    )
    assert (second.outcome, second.score, second.rules_hit) == ("allow", 0, [])
    assert first.transaction.status == Transaction.Status.COMPLETED
    assert balance(payee) == Decimal("110.00")


def test_a_blocking_rule_refuses_and_still_records_the_evaluation(sender, payee):
    rule(Code.LARGE_AMOUNT, action=RiskRule.Action.BLOCK, amount_threshold="100")
    response = transfer(sender.user, payee.handle, "100.00", "blocked")
    assert response.status_code == 403
    assert response.json()["code"] == "risk_blocked"
    assert balance(sender) == Decimal("5000.00") and balance(payee) == Decimal("0")
    evaluation = RiskEvaluation.objects.get()
    assert (evaluation.outcome, evaluation.transaction) == ("block", None)


def test_a_hold_rule_on_a_merchant_payment_refuses_it(sender):
    shop = MerchantFactory()
    rule(Code.LARGE_AMOUNT, action=RiskRule.Action.HOLD, amount_threshold="100")
    with pytest.raises(Exception) as refused:
        services.payment_create(
            payer_user=sender.user,
            merchant_code=shop.code,
            amount="100.00",
            currency="CNY",
            idempotency_key="shop",
        )
    assert refused.value.get_codes() == "risk_blocked"
    assert RiskEvaluation.objects.get().outcome == "block"


def test_disabled_rules_and_switched_off_rules_judge_nothing(sender, payee, settings):
    rule(Code.LARGE_AMOUNT, amount_threshold="1", enabled=False)
    assert transfer(sender.user, payee.handle, "10.00", "x").json()["status"] == "completed"
    rule(Code.LARGE_AMOUNT, amount_threshold="1")
    settings.RISK_RULES_ENABLED = False
    assert transfer(sender.user, payee.handle, "10.00", "y").json()["status"] == "completed"
    assert not RiskEvaluation.objects.exists()


def test_judging_a_transfer_costs_a_fixed_number_of_queries(
    sender, payee, django_assert_max_num_queries
):
    for code in Code.values:
        rule(
            code,
            action=RiskRule.Action.FLAG,
            amount_threshold="1",
            count_threshold=2,
            window_minutes=60,
            lookback_days=30,
        )
    rule(Code.VELOCITY, action=RiskRule.Action.FLAG, count_threshold=5, window_minutes=10)
    _new_device_login(sender.user)
    # One for the rules, one per rule with a history to read (every velocity window in one,
    # failed logins and wrong codes in one): 6, whatever the history.
    with django_assert_max_num_queries(6) as few:
        judge(sender, "10.00", payee=payee.handle, payee_wallet_id=payee.pk)
    for i in range(15):
        pay(sender, payee, "1.00", f"more{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        judge(sender, "10.00", payee=payee.handle, payee_wallet_id=payee.pk)
