"""Four eyes: who may ask, who may decide, that a decision executes once, and the trail of each."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import SecurityEvent
from backoffice import approvals, roles, staff_actions
from backoffice.models import ApprovalRequest, AuditEvent
from config.api_errors import ApplicationError
from notifications.models import Notification
from tests.accounts.factories import TOTPDeviceFactory
from tests.wallet.factories import MerchantFactory, balance, funded_wallet
from wallet import services as wallet_services
from wallet.models import Transaction, Wallet

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

Action = ApprovalRequest.Action
Status = ApprovalRequest.Status


@pytest.fixture
def world():
    home, away = branch("HOME"), branch("AWAY")
    customer = customer_at(home, full_name="欧阳明月", phone="+8613911112222")
    wallet = funded_wallet("500.00", user=customer)
    return {
        "home": home,
        "away": away,
        "customer": customer,
        "wallet": wallet,
        "teller": staff(roles.TELLER, home),
        "manager": staff(roles.BRANCH_MANAGER, home),
        "risk": staff(roles.RISK_OFFICER),
        "teller_away": staff(roles.TELLER, away),
        "manager_away": staff(roles.BRANCH_MANAGER, away),
    }


def _freeze(world, by="teller"):
    return staff_actions.wallet_freeze_by_staff(
        actor=world[by], customer_id=world["customer"].pk, reason="客户来电称手机丢失"
    )


def _ask_unfreeze(world, by="teller"):
    _freeze(world)
    return approvals.approval_request_create(
        actor=world[by],
        customer_id=world["customer"].pk,
        action=Action.UNFREEZE_WALLET,
        reason="客户持身份证到柜台，确认手机已找回",
        parameters={},
    )


def _status(wallet):
    return Wallet.objects.get(pk=wallet.pk).status


# --- freeze, and the unfreeze that needs four eyes ------------------------------------------


def test_a_freeze_takes_effect_at_once_a_payment_is_refused_and_the_customer_told(
    world, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory()
    with django_capture_on_commit_callbacks(execute=True):
        _freeze(world)
    assert _status(world["wallet"]) == Wallet.Status.FROZEN
    with translation.override("en"), pytest.raises(ApplicationError, match="frozen"):
        wallet_services.payment_create(
            payer_user=world["customer"],
            merchant_code=merchant.code,
            amount="10.00",
            currency="CNY",
            idempotency_key="after-freeze",
        )
    assert balance(world["wallet"]) == Decimal("500.00")
    event = AuditEvent.objects.get(action=AuditEvent.Action.WALLET_FREEZE)
    assert (event.actor, event.customer, event.reason) == (
        world["teller"],
        world["customer"],
        "客户来电称手机丢失",
    )
    assert Notification.objects.filter(
        user=world["customer"], kind=Notification.Kind.SECURITY
    ).exists()


def test_a_freeze_needs_a_reason(world):
    with pytest.raises(ApplicationError) as refused:
        staff_actions.wallet_freeze_by_staff(
            actor=world["teller"], customer_id=world["customer"].pk, reason="  "
        )
    assert "reason" in refused.value.fields
    assert _status(world["wallet"]) == Wallet.Status.ACTIVE


def test_an_unfreeze_runs_only_when_a_manager_of_the_branch_approves(
    world, django_capture_on_commit_callbacks
):
    approval = _ask_unfreeze(world)
    assert approval.status == Status.PENDING
    assert approval.expires_at == approval.requested_at + timedelta(hours=24)
    assert _status(world["wallet"]) == Wallet.Status.FROZEN  # asking changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = approvals.approval_approve(actor=world["manager"], pk=approval.pk, note="已核实")
    assert done.status == Status.EXECUTED and done.decided_by == world["manager"]
    assert _status(world["wallet"]) == Wallet.Status.ACTIVE
    actions = list(
        AuditEvent.objects.filter(customer=world["customer"])
        .order_by("pk")
        .values_list("action", "actor")
    )
    assert actions == [
        (AuditEvent.Action.WALLET_FREEZE, world["teller"].pk),
        (AuditEvent.Action.APPROVAL_REQUEST, world["teller"].pk),
        (AuditEvent.Action.APPROVAL_APPROVE, world["manager"].pk),
    ]
    # Told once it is active again (the freeze notice ran outside the captured commit).
    assert (
        Notification.objects.filter(user=world["customer"], kind=Notification.Kind.SECURITY).count()
        == 1
    )


def test_nobody_approves_their_own_request_not_even_a_risk_officer(world):
    approval = _ask_unfreeze(world, by="risk")
    with translation.override("en"), pytest.raises(ApplicationError, match="own request"):
        approvals.approval_approve(actor=world["risk"], pk=approval.pk)
    approval.refresh_from_db()
    assert approval.status == Status.PENDING
    assert _status(world["wallet"]) == Wallet.Status.FROZEN


def test_a_superuser_without_a_checker_role_cannot_approve(world):
    from tests.accounts.factories import UserFactory

    boss = UserFactory(is_staff=True, is_superuser=True)
    approval = _ask_unfreeze(world)
    with pytest.raises(Http404):
        approvals.approval_approve(actor=boss, pk=approval.pk)
    assert _status(world["wallet"]) == Wallet.Status.FROZEN


@pytest.mark.parametrize("checker", ["teller", "manager_away", "teller_away"])
def test_a_teller_or_another_branchs_manager_cannot_approve(world, checker):
    approval = _ask_unfreeze(world, by="manager")
    with pytest.raises((Http404, ApplicationError)):
        approvals.approval_approve(actor=world[checker], pk=approval.pk)
    assert ApprovalRequest.objects.get(pk=approval.pk).status == Status.PENDING


def test_a_teller_of_another_branch_can_neither_ask_nor_see_nor_approve(world):
    _freeze(world)
    with pytest.raises(Http404):
        approvals.approval_request_create(
            actor=world["teller_away"],
            customer_id=world["customer"].pk,
            action=Action.UNFREEZE_WALLET,
            reason="x",
            parameters={},
        )
    approval = approvals.approval_request_create(
        actor=world["teller"],
        customer_id=world["customer"].pk,
        action=Action.UNFREEZE_WALLET,
        reason="核实完毕",
        parameters={},
    )
    client = staff_client(world["teller_away"])
    detail = reverse("backoffice:approval_detail", args=[approval.pk])
    decide = reverse("backoffice:approval_decide", args=[approval.pk])
    action_url = reverse("backoffice:customer_action", args=[world["customer"].pk])
    assert client.get(detail).status_code == 404
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert client.post(action_url, {"action": "freeze", "reason": "x"}).status_code == 404
    assert ApprovalRequest.objects.get(pk=approval.pk).status == Status.PENDING
    refused = AuditEvent.objects.filter(actor=world["teller_away"], outcome="refused")
    assert refused.filter(action=AuditEvent.Action.APPROVAL_APPROVE).exists()


def test_an_expired_request_cannot_be_approved_even_before_the_task_ran(world):
    approval = _ask_unfreeze(world)
    later = timezone.now() + timedelta(hours=24, seconds=1)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        with translation.override("en"), pytest.raises(ApplicationError, match="expired"):
            approvals.approval_approve(actor=world["manager"], pk=approval.pk)
        assert _status(world["wallet"]) == Wallet.Status.FROZEN
        assert approvals.approvals_expire() == 1
    approval.refresh_from_db()
    assert approval.status == Status.EXPIRED
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPROVAL_EXPIRE).count() == 1
    with pytest.raises(ApplicationError):
        approvals.approval_approve(actor=world["manager"], pk=approval.pk)


def test_the_expiry_command_expires_stale_requests(world):
    approval = _ask_unfreeze(world)
    later = timezone.now() + timedelta(hours=25)  # what was asked never changes: time moves
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(timezone, "now", lambda: later)
        call_command("approvals_expire")
    assert ApprovalRequest.objects.get(pk=approval.pk).status == Status.EXPIRED


def test_only_the_maker_withdraws_and_a_withdrawn_request_cannot_be_approved(world):
    approval = _ask_unfreeze(world)
    with pytest.raises(ApplicationError):
        approvals.approval_withdraw(actor=world["manager"], pk=approval.pk)
    approvals.approval_withdraw(actor=world["teller"], pk=approval.pk)
    with pytest.raises(ApplicationError):
        approvals.approval_approve(actor=world["manager"], pk=approval.pk)
    approval.refresh_from_db()
    assert approval.status == Status.WITHDRAWN and approval.decided_by is None


def test_a_rejection_needs_a_note_and_executes_nothing(world):
    approval = _ask_unfreeze(world)
    with pytest.raises(ApplicationError):
        approvals.approval_reject(actor=world["manager"], pk=approval.pk, note="")
    approvals.approval_reject(actor=world["manager"], pk=approval.pk, note="客户未到场")
    assert ApprovalRequest.objects.get(pk=approval.pk).status == Status.REJECTED
    assert _status(world["wallet"]) == Wallet.Status.FROZEN


def test_the_same_request_cannot_be_queued_twice(world):
    _ask_unfreeze(world)
    with pytest.raises(ApplicationError) as refused:
        approvals.approval_request_create(
            actor=world["manager"],
            customer_id=world["customer"].pk,
            action=Action.UNFREEZE_WALLET,
            reason="again",
            parameters={},
        )
    assert refused.value.status_code == 409


def test_an_unfreeze_of_an_active_wallet_is_refused_when_asked(world):
    with pytest.raises(ApplicationError):
        approvals.approval_request_create(
            actor=world["teller"],
            customer_id=world["customer"].pk,
            action=Action.UNFREEZE_WALLET,
            reason="x",
            parameters={},
        )


def test_the_parameters_are_checked_again_at_approval_and_a_stale_request_fails(world):
    approval = _ask_unfreeze(world)
    wallet_services.wallet_unfreeze(wallet=world["wallet"])  # meanwhile, by other means
    done = approvals.approval_approve(actor=world["risk"], pk=approval.pk)
    assert done.status == Status.FAILED and done.result["error"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVAL_FAIL, outcome="refused"
    ).exists()


# --- second-factor reset --------------------------------------------------------------------


def test_a_second_factor_reset_removes_every_device_once_approved(
    world, django_capture_on_commit_callbacks
):
    customer = world["customer"]
    TOTPDeviceFactory(user=customer)
    StaticDevice.objects.create(user=customer, name="backup", confirmed=True)
    approval = approvals.approval_request_create(
        actor=world["teller"],
        customer_id=customer.pk,
        action=Action.RESET_SECOND_FACTOR,
        reason="客户换手机，验证器丢失，已核验身份证",
        parameters={},
    )
    assert TOTPDevice.objects.filter(user=customer).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = approvals.approval_approve(actor=world["manager"], pk=approval.pk)
    assert done.status == Status.EXECUTED
    assert not TOTPDevice.objects.filter(user=customer).exists()
    assert not StaticDevice.objects.filter(user=customer).exists()
    assert SecurityEvent.objects.filter(
        user=customer, kind=SecurityEvent.Kind.SECOND_FACTOR_REMOVED
    ).exists()
    assert Notification.objects.filter(user=customer, kind=Notification.Kind.SECURITY).exists()


# --- reversal -------------------------------------------------------------------------------


def _transfer(world, amount="120.00"):
    payee = funded_wallet("1.00")
    result = wallet_services.transfer_create(
        sender_user=world["customer"],
        to=payee.handle,
        amount=amount,
        currency="CNY",
        idempotency_key=f"tx-{amount}",
    )
    return result.transaction, payee


def _ask_reversal(world, txn, by="teller"):
    return approvals.approval_request_create(
        actor=world[by],
        customer_id=world["customer"].pk,
        action=Action.REVERSE_TRANSACTION,
        reason="客户误转账，收款方同意退回",
        parameters={"transaction": txn.pk},
    )


def test_a_reversal_needs_a_risk_officer_and_leaves_the_ledger_clean(world):
    txn, payee = _transfer(world)
    approval = _ask_reversal(world, txn)
    with pytest.raises(Http404):  # a branch manager is not a checker of reversals
        approvals.approval_approve(actor=world["manager"], pk=approval.pk)
    done = approvals.approval_approve(actor=world["risk"], pk=approval.pk)
    assert done.status == Status.EXECUTED
    reversal = Transaction.objects.get(pk=done.result["reversal"])
    assert reversal.reverses_id == txn.pk and reversal.kind == Transaction.Kind.REVERSAL
    assert balance(world["wallet"]) == Decimal("500.00")
    assert balance(payee) == Decimal("1.00")
    call_command("ledger_audit")  # exits non-zero on any breach


def test_a_reversal_that_would_overdraw_the_payee_fails_clearly_and_posts_nothing(world):
    txn, payee = _transfer(world)
    wallet_services.transfer_create(
        sender_user=payee.user,
        to=world["customer"].email,
        amount="121.00",
        currency="CNY",
        idempotency_key="spent",
    )
    approval = _ask_reversal(world, txn)
    with translation.override("en"):
        done = approvals.approval_approve(actor=world["risk"], pk=approval.pk)
    assert done.status == Status.FAILED
    assert "below zero" in done.result["error"]
    assert not Transaction.objects.filter(kind=Transaction.Kind.REVERSAL).exists()
    call_command("ledger_audit")


def test_a_transaction_is_reversed_at_most_once_and_a_top_up_not_here(world):
    txn, _payee = _transfer(world)
    approvals.approval_approve(actor=world["risk"], pk=_ask_reversal(world, txn).pk)
    with pytest.raises(ApplicationError) as refused:
        _ask_reversal(world, txn)
    assert "transaction" in refused.value.fields
    # The wallet's funding came from the bank: undone by the bank's answer, not here.
    funding = Transaction.objects.get(
        entries__account__wallet=world["wallet"], kind=Transaction.Kind.TOP_UP
    )
    with pytest.raises(ApplicationError):
        _ask_reversal(world, funding)


def test_someone_elses_transaction_cannot_be_asked_for(world):
    stranger = funded_wallet("50.00")
    txn = Transaction.objects.filter(entries__account__wallet=stranger).first()
    with pytest.raises(ApplicationError):
        _ask_reversal(world, txn)


# --- pages ----------------------------------------------------------------------------------


def test_the_queue_shows_what_the_checker_may_decide_in_a_fixed_number_of_queries(
    world, django_assert_max_num_queries
):
    client = staff_client(world["manager"])
    queue = reverse("backoffice:approval_queue")

    def ask_for_new_customer(at):
        customer = customer_at(at)
        funded_wallet("10.00", user=customer)
        staff_actions.wallet_freeze_by_staff(
            actor=world["teller"] if at == world["home"] else world["teller_away"],
            customer_id=customer.pk,
            reason="冻结",
        )
        return staff_actions.unfreeze_request(
            actor=world["teller"] if at == world["home"] else world["teller_away"],
            customer_id=customer.pk,
            reason="解冻",
        )

    mine = ask_for_new_customer(world["home"])
    theirs = ask_for_new_customer(world["away"])
    with django_assert_max_num_queries(14) as few:
        response = client.get(queue)
    text = response.content.decode()
    assert f"#{mine.pk} " in text and f"#{theirs.pk} " not in text
    for _ in range(8):
        ask_for_new_customer(world["home"])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(queue)
    assert response.content.decode().count("backoffice/approvals/") >= 9


def test_approving_through_the_pages(world):
    approval = _ask_unfreeze(world)
    client = staff_client(world["manager"])
    detail = reverse("backoffice:approval_detail", args=[approval.pk])
    decide = reverse("backoffice:approval_decide", args=[approval.pk])
    page = client.get(detail)
    assert page.status_code == 200 and 'name="decision" value="approve"' in page.content.decode()
    assert client.get(decide).status_code == 405  # POST only
    response = client.post(decide, {"decision": "approve", "note": "ok"})
    assert response.status_code == 302
    assert _status(world["wallet"]) == Wallet.Status.ACTIVE
    # The maker sees it executed, and could not have approved it.
    maker_page = staff_client(world["teller"]).get(detail).content.decode()
    assert 'value="approve"' not in maker_page


def test_the_maker_approving_through_the_page_is_refused_and_recorded(world):
    approval = _ask_unfreeze(world)
    decide = reverse("backoffice:approval_decide", args=[approval.pk])
    response = staff_client(world["teller"]).post(decide, {"decision": "approve"})
    assert response.status_code == 302
    assert _status(world["wallet"]) == Wallet.Status.FROZEN
    assert AuditEvent.objects.filter(
        actor=world["teller"], action=AuditEvent.Action.APPROVAL_APPROVE, outcome="refused"
    ).exists()


def test_staff_actions_from_the_customer_view(world):
    client = staff_client(world["teller"])
    customer = world["customer"]
    view = reverse("backoffice:customer_view", args=[customer.pk])
    action = reverse("backoffice:customer_action", args=[customer.pk])
    client.post(view, {"reason": "counter"})
    text = client.get(view).content.decode()
    assert 'value="freeze"' in text and 'value="request_reversal"' not in text  # no transfer yet
    response = client.post(action, {"action": "freeze", "reason": "手机丢失"})
    assert response.status_code == 302 and _status(world["wallet"]) == Wallet.Status.FROZEN
    text = client.get(view).content.decode()
    assert 'value="request_unfreeze"' in text and 'value="freeze"' not in text
    response = client.post(action, {"action": "request_unfreeze", "reason": "已找回"})
    approval = ApprovalRequest.objects.get(action=Action.UNFREEZE_WALLET)
    assert response["Location"] == reverse("backoffice:approval_detail", args=[approval.pk])
    assert client.get(action).status_code == 405


def test_a_teller_raises_the_level_after_an_in_person_check(world):
    from accounts.models import IdentityDocument, User
    from tests.accounts.factories import resident_id

    customer = world["customer"]
    IdentityDocument.objects.create(
        user=customer, document_type="resident_id", number=resident_id(), full_name="欧阳明月"
    )
    client = staff_client(world["teller"])
    action = reverse("backoffice:customer_action", args=[customer.pk])
    assert client.post(action, {"action": "kyc_level2"}).status_code == 302
    customer.refresh_from_db()
    assert customer.kyc_level == User.KycLevel.VERIFIED_IN_PERSON
    assert IdentityDocument.objects.get(user=customer).verified_by == world["teller"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.KYC_LEVEL2_GRANT).count() == 1
    # A risk officer is not at the counter: not theirs to do.
    other = customer_at(world["home"])
    with pytest.raises(Http404):
        staff_actions.kyc_level2_grant_by_staff(actor=world["risk"], customer_id=other.pk)


def test_the_demo_has_an_unfreeze_for_the_sh001_branch_manager_to_approve(capsys):
    from accounts.models import User

    call_command("seed_demo")
    call_command("seed_demo", quiet=True)  # idempotent: still one request
    # (the demo's history also holds an executed limit override: backoffice/seed_history.py)
    approval = ApprovalRequest.objects.get(action=Action.UNFREEZE_WALLET)
    assert approval.status == Status.PENDING and approval.action == Action.UNFREEZE_WALLET
    assert approval.requested_by.email == "teller@demo.example"
    manager = User.objects.get(email="manager@demo.example")
    assert "manager@demo.example" in capsys.readouterr().out
    done = approvals.approval_approve(actor=manager, pk=approval.pk)
    assert done.status == Status.EXECUTED
    assert approval.customer.wallet.status == Wallet.Status.ACTIVE
    call_command("seed_demo", quiet=True)
    assert ApprovalRequest.objects.filter(action=Action.UNFREEZE_WALLET).count() == 1
