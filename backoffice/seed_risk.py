"""Demo data of the risk review: the default rules, and suspicious transfers waiting in the
review queue (a new payee and a large amount), held through the real transfer service."""

from accounts.models import User
from wallet import services as wallet_services
from wallet.models import RiskCase, Transaction, Wallet
from wallet.risk.seed import risk_rules_default_ensure

# (payer, payee, amount, note): each to a payee the payer never paid, at or over the new-payee
# rule. 张三 keeps the round opening balance the other demo tests and the crawler rely on.
DEMO_HELD = [
    ("li.si@demo.example", "zhao.lei@demo.example", "520.00", "投资返利保证金"),
    ("zhao.lei@demo.example", "li.si@demo.example", "600.00", "急用，请尽快"),
]


def demo_risk_ensure() -> list[RiskCase]:
    risk_rules_default_ensure()
    cases = []
    for payer_email, payee_email, amount, note in DEMO_HELD:
        payer = User.objects.filter(email=payer_email).first()
        payee = User.objects.filter(email=payee_email).first()
        if payer is None or payee is None:
            continue
        key = f"demo-held-{payee_email}"
        earlier = Transaction.objects.filter(initiated_by=payer, idempotency_key=key).first()
        if earlier is None:
            wallet = Wallet.objects.filter(user=payer).first()
            if wallet is None or wallet.status != Wallet.Status.ACTIVE:
                continue
            earlier = wallet_services.transfer_create(
                sender_user=payer,
                to=payee_email,
                amount=amount,
                currency="CNY",
                note=note,
                idempotency_key=key,
            ).transaction
        case = RiskCase.objects.filter(held_transaction=earlier).first()
        if case is not None:
            cases.append(case)
    return cases
