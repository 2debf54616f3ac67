"""Two risk officers deciding one held payment at the same moment: one release or one rejection,
never both, and the ledger stays clean (PostgreSQL row locks)."""

import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections

from backoffice import risk_review, roles
from backoffice.models import AuditEvent
from backoffice.risk_review import Decision
from config.api_errors import ApplicationError
from tests.wallet.factories import WalletFactory, balance, funded_wallet
from tests.wallet.risk_support import rule, transfer
from wallet.audit import ledger_breaches
from wallet.models import RiskCase, RiskRule, Transaction

from .factories import staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("round_", range(3))
def test_release_and_reject_at_once_act_once(round_):
    assert connection.vendor == "postgresql"
    sender, payee = funded_wallet("1000.00"), WalletFactory()
    rule(RiskRule.Code.LARGE_AMOUNT, amount_threshold="500")
    held = transfer(sender.user, payee.handle, "600.00", f"k{round_}").json()
    assert held["status"] == "held"
    case = RiskCase.objects.get()
    officers = [staff(roles.RISK_OFFICER), staff(roles.RISK_OFFICER)]
    decisions = [Decision.RELEASE, Decision.REJECT]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def decide(officer, decision):
        try:
            barrier.wait()
            risk_review.case_decide(actor=officer, pk=case.pk, decision=decision)
            outcomes.append(decision)
        except ApplicationError as refused:
            outcomes.append(refused.get_codes())
        except Exception as exc:  # noqa: BLE001  surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=decide, args=pair) for pair in zip(officers, decisions, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "case_decided" in outcomes and len(outcomes) == 2
    case.refresh_from_db()
    status = Transaction.objects.get(pk=held["id"]).status
    if case.status == RiskCase.Status.RELEASED:
        assert (balance(payee), balance(sender), status) == (
            Decimal("600"),
            Decimal("400"),
            "completed",
        )
        assert case.return_transaction_id is None
    else:
        assert (balance(payee), balance(sender), status) == (
            Decimal("0"),
            Decimal("1000"),
            "rejected",
        )
        assert case.release_transaction_id is None
    decided = AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.RISK_RELEASE, AuditEvent.Action.RISK_REJECT]
    )
    assert decided.count() == 1
    assert ledger_breaches() == []
    call_command("ledger_audit")
