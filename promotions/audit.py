"""The audit trail of campaign admins' money actions (funding a pool, issuing vouchers).

Promotions stands below the back office, which owns the trail (`backoffice.AuditEvent`), so it
never imports it: the back office registers its recorder here in its AppConfig.ready, and each
money action calls `money_action_record` inside its own database transaction, so the action and
its trace are kept or lost together.
"""

from collections.abc import Callable

FUND = "campaign_fund"
ISSUE_VOUCHERS = "vouchers_issue"
OK = "ok"
REFUSED = "refused"

# recorder(*, actor, action, outcome, detail: dict, reason: str, request) -> None
_recorders: list[Callable] = []


def register_money_action_recorder(recorder: Callable) -> None:
    if recorder not in _recorders:
        _recorders.append(recorder)


def money_action_record(
    *, actor, action: str, campaign, outcome: str, detail: dict, reason: str = "", request=None
) -> None:
    """Who (the staff member; their role is looked up by the recorder), what, how much, and
    whether it was done. Actions without a staff member (seed_demo, tests) are not staff
    actions and leave no audit event; their ledger transaction still names the campaign."""
    if actor is None:
        return
    detail = {"campaign": campaign.pk, "campaign_name": campaign.name, **detail}
    for recorder in list(_recorders):
        recorder(
            actor=actor,
            action=action,
            outcome=outcome,
            detail=detail,
            reason=reason,
            request=request,
        )
