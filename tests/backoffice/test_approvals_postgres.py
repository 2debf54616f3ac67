"""Four eyes as PostgreSQL itself enforces it: the maker-is-not-checker constraint, what was asked
never changing, nothing deleted, and two checkers at once executing the action once."""

import dataclasses
import threading
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, connections, transaction

from backoffice import approvals, roles, staff_actions
from backoffice.models import ApprovalRequest, AuditEvent
from config.api_errors import ApplicationError
from tests.wallet.factories import funded_wallet
from wallet.models import Wallet

from .factories import branch, customer_at, staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pending():
    assert connection.vendor == "postgresql"
    home = branch("HOME")
    customer = customer_at(home)
    wallet = funded_wallet("100.00", user=customer)
    teller = staff(roles.TELLER, home)
    staff_actions.wallet_freeze_by_staff(actor=teller, customer_id=customer.pk, reason="挂失")
    approval = staff_actions.unfreeze_request(actor=teller, customer_id=customer.pk, reason="解挂")
    return {"approval": approval, "teller": teller, "wallet": wallet, "home": home}


def test_the_database_refuses_a_request_decided_by_its_maker(pending):
    approval = pending["approval"]
    refused = pytest.raises(IntegrityError, match="approval_not_decided_by_maker")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE backoffice_approvalrequest SET decided_by_id = requested_by_id, "
            "status = 'executed' WHERE id = %s",
            [approval.pk],
        )
    assert ApprovalRequest.objects.get(pk=approval.pk).decided_by_id is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("parameters", '{"wallet": 999}'),
        ("reason", "换个理由"),
        ("action", "reverse_transaction"),
        ("expires_at", "2099-01-01T00:00:00Z"),
    ],
)
def test_what_was_asked_cannot_be_changed_even_by_raw_sql(pending, column, value):
    approval = pending["approval"]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE backoffice_approvalrequest SET {column} = %s WHERE id = %s",  # noqa: S608
            [value, approval.pk],
        )
    assert ApprovalRequest.objects.get(pk=approval.pk).parameters == approval.parameters


def test_a_decision_is_final_and_nothing_is_deleted(pending):
    approval = pending["approval"]
    risk = staff(roles.RISK_OFFICER)
    approvals.approval_reject(actor=risk, pk=approval.pk, note="未见本人")
    with pytest.raises(DatabaseError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=approval.pk).update(status="pending")
    with pytest.raises(DatabaseError), transaction.atomic():
        ApprovalRequest.objects.filter(pk=approval.pk).delete()
    assert ApprovalRequest.objects.get(pk=approval.pk).status == ApprovalRequest.Status.REJECTED


def test_two_checkers_approving_at_once_execute_the_action_once(pending, monkeypatch):
    approval = pending["approval"]
    checkers = [staff(roles.BRANCH_MANAGER, pending["home"]), staff(roles.RISK_OFFICER)]
    spec = approvals._registry[ApprovalRequest.Action.UNFREEZE_WALLET]
    executed = []

    def slow_execute(**kwargs):
        executed.append(kwargs["checker"].pk)
        time.sleep(0.3)  # both requests are in flight while the first one executes
        return spec.execute(**kwargs)

    monkeypatch.setitem(
        approvals._registry,
        ApprovalRequest.Action.UNFREEZE_WALLET,
        dataclasses.replace(spec, execute=slow_execute),
    )
    barrier = threading.Barrier(len(checkers))
    outcomes, errors = [], []

    def approve(checker):
        try:
            barrier.wait()
            done = approvals.approval_approve(actor=checker, pk=approval.pk)
            outcomes.append(done.status)
        except ApplicationError as refused:
            outcomes.append(refused.get_codes())
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(c,)) for c in checkers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(executed) == 1
    assert sorted(outcomes) == sorted(["already_decided", ApprovalRequest.Status.EXECUTED])
    assert Wallet.objects.get(pk=pending["wallet"].pk).status == Wallet.Status.ACTIVE
    assert AuditEvent.objects.filter(action=AuditEvent.Action.APPROVAL_APPROVE).count() == 1
    call_command("ledger_audit")
