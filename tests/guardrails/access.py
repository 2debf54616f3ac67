"""The access-control matrix: every object endpoint of the URLconf, requested by every kind of caller.

An object endpoint is a URL pattern with a parameter (`<int:pk>`, `<str:token>`...), found by
walking the URLconf, so an endpoint added later joins the matrix by itself: the test fails until
FACTORIES (below) says how to build an object for it, or EXCLUDED says, with a reason, why it is
not a customer's object. Each object belongs to a customer, the owner. The owner must get it;
another customer, a teller of another branch and a visitor must be refused (404 or 403; a
visitor to a page may be sent to log in, a visitor to the API gets 401/403), with the same answer
they get for an object that does not exist, must not see anything of the owner's, and must not
change anything of the owner's. Endpoints that are open to others by design are in EXCEPTIONS,
each with its reason; they are still checked for leaks of the owner's private data.
"""

import io
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Count
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import linking
from accounts.bank.sandbox import sandbox_card_number, sandbox_link_verified
from accounts.models import LinkedAccount, SecurityEvent, User
from backoffice.models import Branch
from backoffice.roles import TELLER
from backoffice.services import staff_member_upsert
from config.api_errors import ApplicationError
from support import tickets as support_tickets
from support.models_chat import Callback, Chat, ChatMessage
from support.models_classes import ClassRegistration, TrainingClass
from support.models_surveys import SurveyAnswer, SurveyInvitation
from support.models_tickets import Ticket, TicketAttachment, TicketMessage
from tests.accounts.factories import PASSWORD, TOTPDeviceFactory, UserFactory, totp_code
from tests.wallet.factories import MerchantFactory, WalletFactory, funded_wallet
from wallet import services
from wallet.masking import display_name_masked
from wallet.models import (
    Budget,
    FundingOrder,
    LedgerAccount,
    PaymentRequest,
    StepUpChallenge,
    Transaction,
    Wallet,
)
from wallet.models_invoices import Invoice, InvoiceTitle

# --- discovery ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    key: str  # the URL name with its namespaces ("wallet:transaction"); "ns:<route>" if unnamed
    route: str  # the whole route, for messages
    params: tuple[str, ...]
    callback: Callable

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")


def _params(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        names = tuple(pattern.regex.groupindex)
        return names or tuple(f"group{i}" for i in range(pattern.regex.groups))
    return ()


def _walk(resolver, route="", params=(), namespaces=()):
    for entry in resolver.url_patterns:
        here = route + str(entry.pattern)
        found = (*params, *_params(entry.pattern))
        if isinstance(entry, URLResolver):
            spaces = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry, here, found, spaces)
        elif isinstance(entry, URLPattern):
            key = ":".join((*namespaces, entry.name or f"<{here}>"))
            yield Endpoint(key, here, found, entry.callback)


def all_endpoints(urlconf=None) -> list[Endpoint]:
    return list(_walk(get_resolver(urlconf)))


def object_endpoints(urlconf=None) -> list[Endpoint]:
    """Every URL pattern of the URLconf (pages and API) whose route takes a parameter."""
    return [e for e in all_endpoints(urlconf) if e.params]


# Object endpoints that are not in the matrix, each with why.
EXCLUDED = {
    "accounts:setup": "the setup link's token is the credential itself (shown at the counter as a QR code and sent by SMS), like allauth's password-reset key: no owner session to compare; one use, 24 hours, voided by a newer one (tests/accounts/test_setup_link.py)",
    "admin:*": "Django admin internals: staff-only behind the staff second factor and the admin's model permissions; no customer owns these objects",
    "otp_webauthn:*": "django-otp-webauthn's passkey ceremonies: the object is in the session, not the URL",
    "account_confirm_email": "allauth: the key in the URL is the credential itself (sent to the mailbox); there is no owner session to compare",
    "account_reset_password_from_key": "allauth: uid and key in the URL are the emailed credential, checked by allauth; no owner session to compare",
    "backoffice:training_course": "a staff training course: no customer's object; who may take which course (by audience role) is tested in tests/backoffice/test_training.py",
    "backoffice:break_glass_review": "a break-glass grant is a staff member's access record, not a customer's object; only risk officers may review one (tests/backoffice/test_break_glass.py)",
    "backoffice:reconciliation_exception": "a bank reconciliation exception is about the bank's clearing account, not a customer's object; only risk officers may open one, teller and branch manager get 403 (tests/backoffice/test_reconciliation_portal.py)",
    "experience:receipt": 'a receipt of experience mode (体验区) belongs to a demo session on a branch device, named by its signed cookie, not to a customer: it is sandbox money, never a customer\'s; another device or a visitor gets the "demo has ended" page or 404 (tests/experience/test_experience_mode.py)',
    "legal": "the public terms and privacy notice: the parameter names a document, not anyone's object",
    "wealth:product": "a fund product is the bank's, on sale to every customer; the customer's own holding and orders are found by the session's user, never by an id in the URL (tests/wealth)",
    "wealth:subscribe": "buys the product in the URL for the session's user: nobody else's object is named (tests/wealth)",
    "wealth:redeem": "redeems the session user's own holding of the product in the URL: nobody else's object is named (tests/wealth)",
    "kb:article": "a knowledge-base article (FAQ, tutorial, security guide) is the bank's public help content, readable by everyone; drafts answer 404 to all (tests/support/test_kb_pages.py)",
    "kb:vote": "a vote on a public knowledge-base article: it belongs to the voter, one per customer or session (tests/support/test_kb_pages.py)",
    "api:faq-vote": "a vote on a public knowledge-base article: it belongs to the voter, one per customer (tests/support/test_kb_pages.py)",
    "api:tutorial": "a published tutorial is the bank's public help content, readable by everyone; drafts answer 404 (tests/support/test_kb_pages.py)",
    "kb:notice": "a published security or service notice is the bank's announcement to everyone; drafts and expired ones answer 404 to all (tests/support/test_notices.py)",
    "kb:notice_dismiss": "dismissing a public notice's banner: the dismissal belongs to the caller (their account, or a visitor's session) (tests/support/test_notices.py)",
    "surveys:survey": "an admin-built survey is the bank's, open to every customer; each caller answers it as themselves, once (their response is found by the session's user, never by an id in the URL); closed surveys answer 404 to all (tests/support/test_survey_builder.py)",
    "api:survey": "an admin-built survey is the bank's, readable by every customer while it is open; closed ones answer 404 to all (tests/support/test_survey_builder.py)",
    "api:survey-responses": "answers the open survey in the URL as the caller (one response per customer, a DB constraint): nobody else's object is named (tests/support/test_survey_builder.py)",
    "backoffice:survey_detail_results": "results of a bank's admin-built survey, in aggregate and without authors: no customer's object; only support leads and campaign admins may open it, customers and other staff get 403 (tests/support/test_survey_metrics.py)",
    "classes:register": "a class is the bank's, open to every customer (the page lists them publicly); registering acts on the session user's own registration, never on another's (tests/support/test_classes.py)",
    "classes:cancel": "cancels the session user's own registration for the class in the URL: nobody else's object is named; another customer gets 'not registered' and nothing changes (tests/support/test_classes.py)",
    "api:class-registration": "the caller's own registration for the class in the URL (POST takes a seat, DELETE gives it back): nobody else's object is named; another customer's DELETE answers 404 as for no registration (tests/support/test_classes.py)",
    "referral_link": "a referral link is public by design (shared with friends): it only keeps the code in the visitor's session and redirects to sign-up, showing nothing of the referrer",
}


def exclusion_for(key: str) -> str | None:
    if key in EXCLUDED:
        return EXCLUDED[key]
    namespace = key.split(":", 1)[0]
    return EXCLUDED.get(f"{namespace}:*") if ":" in key else None


# --- the owner and the callers ------------------------------------------------------------

OWNER = "owner"
OTHER_CUSTOMER = "other customer"
TELLER_ELSEWHERE = "teller, other branch"
VISITOR = "visitor"
# The owner goes last: their writes (cancel, remove...) change the object.
ACTORS = (VISITOR, TELLER_ELSEWHERE, OTHER_CUSTOMER, OWNER)


@dataclass
class World:
    """The owner with their things, the other callers, and a logged-in client for each."""

    owner: User
    owner_wallet: Wallet
    owner_device: TOTPDevice
    payee: Wallet  # receives the owner's transfers; not one of the callers
    other: User
    teller: User
    clients: dict[str, Client]

    def owner_private(self) -> dict[str, str]:
        """What nobody but the owner may see, whatever the endpoint."""
        user = self.owner
        return {
            "owner's full name": user.full_name,
            "owner's email": user.email,
            "owner's phone": user.phone or "",
            "owner's wallet handle": self.owner_wallet.handle,
        }


def verified_client(user: User, device: TOTPDevice) -> Client:
    """A session that passed the second factor, through the real second-factor page."""
    client = Client()
    client.force_login(user)
    response = client.post(reverse("account_second_factor"), {"otp_token": totp_code(device)})
    assert response.status_code == 302, f"{user} did not pass the second factor"
    return client


def build_world() -> World:
    owner_user = UserFactory(
        email="matrix-owner@example.com", full_name="欧阳明月", phone="+8613900001111"
    )
    owner_device = TOTPDeviceFactory(user=owner_user)
    owner_wallet = funded_wallet("5000.00", user=owner_user)
    other = funded_wallet("5000.00", user=UserFactory(full_name="路人甲乙")).user
    branch = Branch.objects.create(code="MX-OTHER", name="矩阵测试其他支行")
    teller = staff_member_upsert(
        email="matrix-teller@example.com",
        password=PASSWORD,
        full_name="柜员丙丁",
        role=TELLER,
        branch=branch,
        employee_number="MX-T1",
    )
    teller_device = TOTPDeviceFactory(user=teller)
    other_client = Client()
    other_client.force_login(other)
    clients = {
        VISITOR: Client(),
        TELLER_ELSEWHERE: verified_client(teller, teller_device),
        OTHER_CUSTOMER: other_client,
        OWNER: verified_client(owner_user, owner_device),
    }
    # Each caller really is who they should be: the teller is in the staff portal...
    assert clients[TELLER_ELSEWHERE].get(reverse("backoffice:home")).status_code == 200
    # ...and the owner's session passed the second factor the API asks of it.
    assert clients[OWNER].get(reverse("api:me")).status_code == 200
    return World(
        owner=owner_user,
        owner_wallet=owner_wallet,
        owner_device=owner_device,
        payee=WalletFactory(user__full_name="收款人"),
        other=other,
        teller=teller,
        clients=clients,
    )


def owner_state(world: World):
    """The owner's rows an endpoint could change, to compare before and after a request."""
    owner = world.owner
    return {
        "balances": list(
            LedgerAccount.objects.filter(wallet__user=owner)
            .order_by("pk")
            .values_list("currency", "shard", "balance")
        ),
        "wallet": list(Wallet.objects.filter(user=owner).values_list("status", "handle")),
        "requests": list(
            PaymentRequest.objects.filter(requester__user=owner)
            .order_by("pk")
            .values_list("token", "status", "paid_by_id", "amount")
        ),
        "challenges": list(
            StepUpChallenge.objects.filter(user=owner)
            .order_by("pk")
            .values_list("token", "verified_at", "used_by_id")
        ),
        "totp devices": list(
            TOTPDevice.objects.filter(user=owner)
            .order_by("pk")
            .values_list("pk", "confirmed", "throttling_failure_count")
        ),
        "backup codes": list(
            StaticDevice.objects.filter(user=owner).annotate(n=Count("token_set")).values_list("n")
        ),
        "budgets": list(
            Budget.objects.filter(wallet__user=owner).values_list("category", "amount")
        ),
        "security events": SecurityEvent.objects.filter(user=owner).count(),
        "linked accounts": list(
            LinkedAccount.objects.filter(user=owner)
            .order_by("pk")
            .values_list("pk", "status", "is_default", "failed_verifications")
        ),
        "funding orders": list(
            FundingOrder.objects.filter(initiated_by=owner)
            .order_by("pk")
            .values_list("reference", "status")
        ),
        "transactions": Transaction.objects.count(),
        "tickets": list(
            Ticket.objects.filter(customer=owner)
            .order_by("pk")
            .values_list("reference", "state", "assignee_id", "escalated_at")
        ),
        "survey answers": list(
            SurveyAnswer.objects.filter(customer=owner).order_by("pk").values_list("pk", "score")
        ),
        "ticket messages": TicketMessage.objects.filter(ticket__customer=owner).count(),
        "invoice titles": list(
            InvoiceTitle.objects.filter(user=owner)
            .order_by("pk")
            .values_list("pk", "name", "taxpayer_id", "is_default")
        ),
        "invoices": list(
            Invoice.objects.filter(user=owner).order_by("pk").values_list("pk", "status", "round")
        ),
        "class registrations": list(
            ClassRegistration.objects.filter(customer=owner)
            .order_by("pk")
            .values_list("status", "attended", "attendance_marked_by_id")
        ),
        "chats": list(
            Chat.objects.filter(customer=owner)
            .order_by("pk")
            .values_list("reference", "state", "agent_id", "ticket_id")
        ),
        "chat messages": ChatMessage.objects.filter(chat__customer=owner).count(),
        "callbacks": list(
            Callback.objects.filter(customer=owner).order_by("pk").values_list("pk", "state")
        ),
    }


# --- what to build for each endpoint ------------------------------------------------------


@dataclass
class Target:
    """An object of the owner's, as the URL kwargs that name it."""

    kwargs: dict
    secrets: dict[str, str] = field(default_factory=dict)  # what in it is the owner's alone
    data: dict | None = None  # the body of a POST
    headers: dict = field(default_factory=dict)


def _ghost(kwargs: dict) -> dict:
    """The same kwargs naming an object that does not exist."""
    return {
        name: 2_000_000_000 if isinstance(value, int) else "nx" + secrets.token_urlsafe(12)
        for name, value in kwargs.items()
    }


@dataclass(frozen=True)
class Case:
    make: Callable[[World], Target]
    method: str = "GET"
    owner_status: tuple[int, ...] = (200,)
    # Whether the owner's request changes owner_state (default: a successful POST does). This
    # also shows that owner_state would notice a non-owner's write to the same rows.
    owner_writes: bool | None = None
    # The owner's response shows one of target.secrets: proof that the leak check can see them.
    owner_sees_secret: bool = False
    ghost: Callable[[dict], dict] = _ghost
    # Answers besides 403/404 a non-owner may get, and why that is no weaker; the answer must
    # still be the same as for an object that does not exist.
    other_refusals: tuple[int, ...] = ()
    other_refusals_reason: str = ""

    def writes(self) -> bool:
        if self.owner_writes is not None:
            return self.owner_writes
        return self.method == "POST" and any(s < 400 for s in self.owner_status)


SECRET_NOTE = "矩阵私密备注"


def _owner_transfer(world: World) -> Transaction:
    result = services.transfer_create(
        sender_user=world.owner,
        to=world.payee.handle,
        amount="12.34",
        currency="CNY",
        note=f"{SECRET_NOTE}转账",
        idempotency_key=f"matrix-{secrets.token_hex(6)}",
    )
    return result.transaction


def _owner_held_transfer(world: World) -> Transaction:
    """A transfer of the owner's held for risk review (by a rule made for it, then removed)."""
    from wallet.models import RiskRule

    rule = RiskRule.objects.create(
        code=RiskRule.Code.LARGE_AMOUNT, action=RiskRule.Action.HOLD, amount_threshold="0.01"
    )
    txn = _owner_transfer(world)
    rule.delete()
    return txn


def _held_transfer(world: World) -> Target:
    return Target({"pk": _owner_held_transfer(world).pk})


def _held_case(world: World) -> Target:
    txn = _owner_held_transfer(world)
    return Target({"pk": txn.risk_case.pk}, data={"decision": "release", "note": "矩阵"})


def _fraud_report(world: World) -> Target:
    """The owner's report of suspected fraud (a support ticket), a case for the risk officers."""
    reported = support_tickets.ticket_create(
        customer=world.owner,
        category=Ticket.Category.FRAUD,
        subject="矩阵诈骗举报",
        message="有人冒充客服。",
    )
    return Target(
        {"pk": reported.customer.fraud_reports.get(reference=reported.reference).pk},
        data={"decision": "unfounded", "note": "矩阵"},
    )


def _transaction(world: World) -> Target:
    txn = _owner_transfer(world)
    return Target({"pk": txn.pk}, {"transfer note": txn.note})


def _statement(world: World) -> Target:
    txn = _owner_transfer(world)
    now = timezone.localtime()
    return Target({"year": now.year, "month": now.month}, {"transfer note": txn.note})


def _owner_request(world: World, amount="88.00") -> PaymentRequest:
    return services.payment_request_create(
        user=world.owner, amount=amount, currency="CNY", note=f"{SECRET_NOTE}收款"
    )


def _request(world: World) -> Target:
    request = _owner_request(world)
    return Target({"token": request.token}, {"request note": request.note})


def _request_open_to_payers(world: World) -> Target:
    # The note is written for the payer: it is not the owner's secret on the payer's page.
    return Target({"token": _owner_request(world).token})


def _request_to_pay(world: World) -> Target:
    request = _owner_request(world, amount="8.00")
    return Target(
        {"token": request.token},
        data={},
        headers={"Idempotency-Key": f"matrix-{secrets.token_hex(6)}"},
    )


def _merchant(world: World) -> Target:
    return Target({"merchant_code": MerchantFactory().code})


def _step_up_challenge(world: World) -> Target:
    try:
        services.transfer_create(
            sender_user=world.owner,
            to=world.payee.handle,
            amount="1500.00",
            currency="CNY",
            idempotency_key=f"matrix-{secrets.token_hex(6)}",
        )
    except ApplicationError as error:
        token = error.extra["challenge"]
    else:  # pragma: no cover - the threshold is below 1500 CNY
        raise AssertionError("a large transfer did not ask for step-up")
    # Everyone sends the owner's own valid code (the next period's: the login used this one).
    return Target({"token": token}, data={"otp": totp_code(world.owner_device, steps_ahead=1)})


def _spare_authenticator(world: World) -> Target:
    device = TOTPDeviceFactory(user=world.owner, name="备用验证器")
    return Target({"kind": "totp", "pk": device.pk}, data={})


SECRET_HOLDER = "欧阳私密持卡人"


def _owner_card(world: World, *, verified: bool = True, default: bool | None = None):
    """One of the owner's cards in this state, reused across cases (a customer may link ten)."""
    status = LinkedAccount.Status.VERIFIED if verified else LinkedAccount.Status.UNVERIFIED
    cards = LinkedAccount.objects.filter(user=world.owner, status=status)
    if default is not None:
        cards = cards.filter(is_default=default)
    card = cards.first()
    if card is not None:
        return card
    number = sandbox_card_number(ending=f"{secrets.randbelow(9000) + 1000}")
    if verified:
        return sandbox_link_verified(
            user=world.owner, kind="debit_card", holder_name=SECRET_HOLDER, number=number
        )
    return linking.linked_account_create(
        user=world.owner,
        kind="debit_card",
        number=number,
        holder_name=SECRET_HOLDER,
        expiry="12/30",
    )


def _linked_account(world: World) -> Target:
    return Target({"pk": _owner_card(world).pk}, {"card holder": SECRET_HOLDER})


def _unverified_linked_account(world: World) -> Target:
    account = _owner_card(world, verified=False)
    return Target({"pk": account.pk}, {"card holder": SECRET_HOLDER}, data={})


def _spare_linked_account(world: World) -> Target:
    """A verified card that is not the default (so making it the default changes something)."""
    _owner_card(world, default=True)
    return Target({"pk": _owner_card(world, default=False).pk}, data={})


def _funding_order(world: World, direction: str) -> FundingOrder:
    create = services.topup_create if direction == "top_up" else services.withdrawal_create
    result = create(
        user=world.owner,
        source_id=_owner_card(world).pk,
        amount="21.00",
        currency="CNY",
        idempotency_key=f"matrix-{secrets.token_hex(6)}",
    )
    return result.order


def _top_up(world: World) -> Target:
    return Target({"reference": _funding_order(world, "top_up").reference})


def _withdrawal(world: World) -> Target:
    return Target({"reference": _funding_order(world, "withdrawal").reference})


def _customer_in_back_office(world: World) -> Target:
    """The owner as a customer of a branch other than the matrix teller's: the teller of another
    branch must get 404, as for a customer who does not exist."""
    from backoffice.models import CustomerBranch

    home, _created = Branch.objects.get_or_create(code="MX-HOME", defaults={"name": "矩阵测试支行"})
    CustomerBranch.objects.get_or_create(user=world.owner, defaults={"branch": home})
    return Target({"pk": world.owner.pk})


def _customer_action(world: World) -> Target:
    """Freezing the owner's wallet from the customer view: nobody in the matrix may."""
    target = _customer_in_back_office(world)
    return Target(target.kwargs, data={"action": "freeze", "reason": "矩阵测试冻结"})


def _customer_limit_override(world: World) -> Target:
    """Asking for a temporary limit override for the owner: nobody in the matrix may."""
    target = _customer_in_back_office(world)
    data = {"per_transaction": "5000", "daily": "8000", "days": "1", "reason": "矩阵测试提额"}
    return Target(target.kwargs, data=data)


def _owner_approval_request(world: World) -> Target:
    """A four-eyes request about the owner (a second-factor reset), asked by a teller of the
    owner's branch: the teller of another branch must get 404 as for a missing request."""
    from backoffice.approvals import approval_request_create
    from backoffice.models import ApprovalRequest

    _customer_in_back_office(world)
    pending = ApprovalRequest.objects.filter(customer=world.owner, status="pending").first()
    if pending is None:
        home = Branch.objects.get(code="MX-HOME")
        maker = staff_member_upsert(
            email="matrix-home-teller@example.com",
            password=PASSWORD,
            full_name="本行柜员",
            role=TELLER,
            branch=home,
            employee_number="MX-T2",
        )
        pending = approval_request_create(
            actor=maker,
            customer_id=world.owner.pk,
            action=ApprovalRequest.Action.RESET_SECOND_FACTOR,
            reason="矩阵测试重置",
            parameters={},
        )
    return Target({"pk": pending.pk}, data={"decision": "approve", "note": ""})


def _large_cash_out_ask(world: World) -> Target:
    """Asking a branch manager to approve a large cash-out for the owner: only a teller of the
    owner's branch may (tests/backoffice/test_cash_desk.py); nobody in the matrix."""
    target = _customer_in_back_office(world)
    return Target(target.kwargs, data={"approval-amount": "30000.00", "approval-reason": "矩阵"})


def _cash_movement_in_back_office(world: World) -> Target:
    """A cash deposit of the owner's at their branch (MX-HOME), made by a teller there: its
    receipt is the branch staff's to print; the teller of another branch gets 404."""
    from backoffice import cash_services

    _customer_in_back_office(world)
    home = Branch.objects.get(code="MX-HOME")
    teller = staff_member_upsert(
        email="matrix-home-teller@example.com",
        password=PASSWORD,
        full_name="柜员戊己",
        role=TELLER,
        branch=home,
        employee_number="MX-T2",
    )
    if not teller.tills.exists():
        cash_services.till_open(teller=teller, opening_float="100.00")
    result = cash_services.cash_in(
        teller=teller,
        customer_pk=world.owner.pk,
        amount="10.00",
        idempotency_key=f"matrix-{secrets.token_hex(6)}",
    )
    return Target({"pk": result.movement.pk})


def _onboarding_of_owner(world: World):
    """The onboarding that opened the owner's wallet at a branch other than the matrix teller's,
    with a photo of their document on file."""
    from django.core.files.base import ContentFile

    from backoffice.models import CustomerBranch, Onboarding

    home, _created = Branch.objects.get_or_create(code="MX-HOME", defaults={"name": "矩阵测试支行"})
    CustomerBranch.objects.get_or_create(user=world.owner, defaults={"branch": home})
    teller = User.objects.filter(email="matrix-home-teller@example.com").first() or (
        staff_member_upsert(
            email="matrix-home-teller@example.com",
            password=PASSWORD,
            full_name="柜员戊己",
            role=TELLER,
            branch=home,
            employee_number="MX-T2",
        )
    )
    onboarding = Onboarding.objects.filter(customer=world.owner).first()
    if onboarding is None:
        onboarding = Onboarding.objects.create(
            branch=home,
            teller=teller,
            step=Onboarding.Step.DONE,
            phone=world.owner.phone or "",
            full_name=world.owner.full_name,
            email=world.owner.email,
            customer=world.owner,
        )
        onboarding.document_front.save(
            "front.png", ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32), save=True
        )
    return onboarding


def _onboarding(world: World) -> Target:
    return Target({"pk": _onboarding_of_owner(world).pk})


def _onboarding_document(world: World) -> Target:
    return Target({"pk": _onboarding_of_owner(world).pk, "side": "front"})


def _keep_kind(kwargs: dict) -> dict:
    return {**kwargs, "pk": 2_000_000_000}


# URL name -> how to build the owner's object for it. A new object endpoint needs an entry here
# (or in EXCLUDED); a public one also needs its reason in EXCEPTIONS.
SECRET_TICKET_TEXT = "矩阵私密工单内容"


def _ticket(world: World) -> Target:
    # Made through the ORM, not ticket_create: the matrix opens many of the owner's tickets
    # within a minute, more than the per-customer rate limit allows.
    ticket = Ticket.objects.create(customer=world.owner, category="payment", subject="矩阵工单")
    TicketMessage.objects.create(ticket=ticket, author=world.owner, body=SECRET_TICKET_TEXT)
    return Target({"reference": ticket.reference}, {"ticket message": SECRET_TICKET_TEXT})


def _resolved_ticket(world: World) -> Target:
    target = _ticket(world)
    ticket = Ticket.objects.get(reference=target.kwargs["reference"])
    support_tickets.ticket_transition(
        ticket=ticket, to_state="resolved", actor=world.teller, as_customer=False
    )
    return Target(target.kwargs, target.secrets, data={"state": "closed"})


def _ticket_attachment(world: World) -> Target:
    target = _ticket(world)
    message = TicketMessage.objects.filter(ticket__reference=target.kwargs["reference"]).get()
    attachment = TicketAttachment.objects.create(
        message=message,
        file=ContentFile(b"\x89PNG\r\n\x1a\n", "f.png"),
        name="矩阵附件.png",
        content_type="image/png",
        size=8,
    )
    return Target({**target.kwargs, "pk": attachment.pk}, {"attachment name": attachment.name})


def _ticket_attachment_list(world: World) -> Target:
    target = _ticket_attachment(world)
    return Target({"reference": target.kwargs["reference"]}, target.secrets)


def _only_pk(make):
    def build(world: World) -> Target:
        target = make(world)
        return Target({"pk": target.kwargs["pk"]}, target.secrets)

    return build


def _survey_invitation(world: World) -> SurveyInvitation:
    from support import surveys

    invitation = SurveyInvitation.objects.create(
        kind="nps", customer=world.owner, expires_at=timezone.now() + surveys.link_ttl()
    )
    invitation.raw_token = surveys.invitation_token_issue(invitation=invitation)
    return invitation


def _survey_link(world: World) -> Target:
    return Target({"token": _survey_invitation(world).raw_token})


def _survey_invitation_page(world: World) -> Target:
    return Target({"pk": _survey_invitation(world).pk})


def _survey_invitation_answer(world: World) -> Target:
    return Target({"pk": _survey_invitation(world).pk}, data={"score": 7, "comment": "矩阵"})


def _ticket_reply(world: World) -> Target:
    target = _ticket(world)
    return Target(target.kwargs, target.secrets, data={"body": "矩阵回复"})


SECRET_INVOICE_BUYER = "矩阵私密发票抬头"


def _owner_payment(world: World) -> Transaction:
    from wallet.invoicing.uscc import uscc_complete

    merchant = MerchantFactory(taxpayer_id=uscc_complete("91310000MA1MAT8X0"))
    return services.payment_create(
        payer_user=world.owner,
        merchant_code=merchant.code,
        amount="10.60",
        currency="CNY",
        idempotency_key=f"matrix-{secrets.token_hex(6)}",
    ).transaction


def _owner_invoice_title(world: World):
    from wallet import invoices

    return invoices.invoice_title_create(
        user=world.owner, values={"kind": "person", "name": SECRET_INVOICE_BUYER}
    )


def _invoice_title(world: World) -> Target:
    title = _owner_invoice_title(world)
    return Target(
        {"pk": title.pk},
        {"invoice title": SECRET_INVOICE_BUYER},
        data={"kind": "person", "name": "矩阵新抬头"},
    )


def _payment_to_invoice(world: World) -> Target:
    title = _owner_invoice_title(world)
    return Target({"pk": _owner_payment(world).pk}, data={"title": str(title.pk)})


def _issued_invoice(world: World, *, fail: bool = False) -> Target:
    from wallet import invoices
    from wallet.models_invoices import Invoice

    title = _owner_invoice_title(world)
    invoice = invoices.invoice_request(
        user=world.owner, transaction_id=_owner_payment(world).pk, title_id=title.pk
    )
    if fail:
        Invoice.objects.filter(pk=invoice.pk).update(status=Invoice.Status.FAILED)
    else:
        invoices.invoice_issue(invoice_id=invoice.pk)
    return Target({"pk": invoice.pk}, {"invoice buyer": SECRET_INVOICE_BUYER})


def _failed_invoice(world: World) -> Target:
    return _issued_invoice(world, fail=True)


def _class_attended_by_owner(world: World) -> Target:
    """A class at a branch that is not the matrix teller's, started an hour ago, with the owner
    registered: its attendance sheet is a staff page showing the owner (masked)."""
    here = Branch.objects.get_or_create(code="MX-CLASS", defaults={"name": "矩阵课程支行"})[0]
    starts = timezone.now() - timedelta(hours=1)
    training_class = TrainingClass.objects.create(
        title="矩阵课程",
        mode="branch",
        branch=here,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        capacity=5,
    )
    registration = ClassRegistration.objects.create(
        training_class=training_class, customer=world.owner
    )
    return Target({"pk": training_class.pk}, data={"attended": [registration.pk]})


SECRET_CHAT_TEXT = "矩阵私密聊天内容"


def _chat(world: World) -> Target:
    # Through the ORM: no agent needs to be available, and no rate limit applies.
    chat = Chat.objects.create(customer=world.owner)
    ChatMessage.objects.create(chat=chat, author=world.owner, body=SECRET_CHAT_TEXT)
    return Target({"reference": chat.reference}, {"chat message": SECRET_CHAT_TEXT})


def _chat_message(world: World) -> Target:
    target = _chat(world)
    return Target(target.kwargs, target.secrets, data={"body": "矩阵聊天回复"})


def _callback(world: World) -> Target:
    callback = Callback.objects.create(
        customer=world.owner,
        phone=world.owner.phone,
        scheduled_for=timezone.now() + timedelta(days=1),
        topic="矩阵回电",
    )
    return Target({"pk": callback.pk}, {"callback topic": "矩阵回电"}, data={"outcome": "reached"})


FACTORIES: dict[str, Case] = {
    # E-invoices (issue 10): the owner's payment, titles and invoices, by id.
    "wallet:invoice_request": Case(_payment_to_invoice),
    "wallet:invoice": Case(_issued_invoice, owner_sees_secret=True),
    "wallet:invoice_pdf": Case(_issued_invoice),
    "wallet:invoice_email": Case(
        _issued_invoice, method="POST", owner_status=(302,), owner_writes=False
    ),
    "wallet:invoice_red_letter": Case(_issued_invoice, method="POST", owner_status=(302,)),
    "wallet:invoice_retry": Case(_failed_invoice, method="POST", owner_status=(302,)),
    "wallet:invoice_title_edit": Case(_invoice_title, owner_sees_secret=True),
    "wallet:invoice_title_delete": Case(_invoice_title, method="POST", owner_status=(302,)),
    "api:invoice-title": Case(_invoice_title, owner_sees_secret=True),
    "api:invoice": Case(_issued_invoice, owner_sees_secret=True),
    "api:invoice-pdf": Case(_issued_invoice),
    "api:invoice-red-letter": Case(_issued_invoice, method="POST", owner_status=(201,)),
    "api:invoice-retry": Case(_failed_invoice, method="POST"),
    "api:invoice-email": Case(
        _issued_invoice, method="POST", owner_status=(202,), owner_writes=False
    ),
    # A class's attendance sheet (issue 7): a staff page, refused to every customer (403); the
    # teller of another branch gets 404 as for a class that does not exist, and marks nothing.
    # Staff who may: tests/support/test_classes.py.
    "backoffice:class_attendance": Case(_class_attended_by_owner, owner_status=(403,)),
    # Live chat (issue 7): the customer's own chat by its random reference; the agents' pages
    # about one, and marking a callback done, are refused to every customer (403) and to staff
    # who are not support agents (403 before any lookup, the same for a missing chat).
    "chat:chat": Case(_chat, owner_sees_secret=True),
    "chat:messages": Case(_chat, owner_sees_secret=True),
    "chat:send": Case(_chat_message, method="POST", owner_status=(302,)),
    "chat:end": Case(_chat, method="POST", owner_status=(302,)),
    "backoffice:chat": Case(_chat, owner_status=(403,)),
    "backoffice:chat_pick_up": Case(_chat, method="POST", owner_status=(403,)),
    "backoffice:chat_messages": Case(_chat, owner_status=(403,)),
    "backoffice:chat_send": Case(_chat_message, method="POST", owner_status=(403,)),
    "backoffice:chat_end": Case(_chat, method="POST", owner_status=(403,)),
    "backoffice:callback_done": Case(_callback, method="POST", owner_status=(403,)),
    # Support tickets (issue 7): the customer's own, by random reference; the staff pages about
    # one are refused to every customer (403) and to staff who are not support agents.
    "support:ticket": Case(_ticket, owner_sees_secret=True),
    "support:ticket_state": Case(_resolved_ticket, method="POST", owner_status=(302,)),
    "api:ticket": Case(_ticket, owner_sees_secret=True),
    "api:ticket-messages": Case(_ticket, owner_sees_secret=True),
    "api:ticket-state": Case(_resolved_ticket, method="POST"),
    "api:ticket-attachments": Case(_ticket_attachment_list, owner_sees_secret=True),
    # The downloads: the file itself, to its owner only (the name is in a header, not the body).
    "api:ticket-attachment": Case(_ticket_attachment),
    "support:attachment": Case(_only_pk(_ticket_attachment)),
    "backoffice:support_attachment": Case(_only_pk(_ticket_attachment), owner_status=(403,)),
    "backoffice:support_ticket": Case(_ticket, owner_status=(403,)),
    "backoffice:support_ticket_reply": Case(_ticket_reply, method="POST", owner_status=(403,)),
    "backoffice:support_ticket_assign": Case(_ticket, method="POST", owner_status=(403,)),
    "backoffice:support_ticket_escalate": Case(_ticket, method="POST", owner_status=(403,)),
    "backoffice:support_ticket_state": Case(_resolved_ticket, method="POST", owner_status=(403,)),
    # CSAT/NPS questions (issue 7): the one-time link is open by design (see EXCEPTIONS); the
    # inbox page and the API answer only the customer's own question.
    "surveys:answer": Case(_survey_link),
    "surveys:invitation": Case(_survey_invitation_page),
    "api:survey-invitation-answer": Case(
        _survey_invitation_answer, method="POST", owner_status=(201,)
    ),
    # The same for the onboarding that opened the owner's wallet, and their document's photo:
    # staff pages, refused to every customer; the branch's own staff: tests/backoffice.
    "backoffice:onboarding": Case(_onboarding, owner_status=(403,)),
    "backoffice:onboarding_document": Case(_onboarding_document, owner_status=(403,)),
    "wallet:transaction": Case(_transaction, owner_sees_secret=True),
    "wallet:receipt_pdf": Case(_transaction, owner_sees_secret=True),
    "wallet:statement_pdf": Case(_statement, owner_sees_secret=True),
    "wallet:request_detail": Case(_request, owner_sees_secret=True),
    "wallet:request_cancel": Case(_request, method="POST", owner_status=(302,)),
    "wallet:request_pay": Case(_request_open_to_payers),
    "wallet:merchant_pay": Case(_merchant),
    "wallet:merchant_qr": Case(_merchant),
    "accounts:second_factor_remove": Case(
        _spare_authenticator, method="POST", owner_status=(302,), ghost=_keep_kind
    ),
    "accounts:linked_account_verify": Case(_unverified_linked_account, owner_sees_secret=True),
    "accounts:linked_account_default": Case(
        _spare_linked_account, method="POST", owner_status=(302,)
    ),
    "accounts:linked_account_remove": Case(_linked_account),
    "wallet:funding_order": Case(_withdrawal),
    "api:linked-account": Case(_linked_account, owner_sees_secret=True),
    "api:linked-account-verify": Case(
        _unverified_linked_account, method="POST", owner_status=(400,)
    ),
    "api:linked-account-default": Case(_spare_linked_account, method="POST"),
    "api:topup": Case(_top_up),
    "api:withdrawal": Case(_withdrawal),
    "api:payment-request": Case(_request_open_to_payers),
    # The owner cannot pay their own request (400 self_transfer); a payer can (see EXCEPTIONS).
    "api:payment-request-pay": Case(_request_to_pay, method="POST", owner_status=(400,)),
    # A staff page about a customer is not the customer's own: the "owner" (the customer it is
    # about) is refused like every customer (403, the staff-portal middleware). The rest of the
    # matrix holds: the teller of another branch gets 404 as for a missing customer, nothing
    # of the customer shows, nothing changes. Staff who may open it: tests/backoffice.
    "backoffice:customer_view": Case(_customer_in_back_office, owner_status=(403,)),
    # The staff actions and four-eyes requests about a customer: the same as the customer view
    # (the customer it is about gets 403; the teller of another branch 404; nothing changes).
    # Staff who may use them: tests/backoffice/test_approvals.py.
    "backoffice:customer_action": Case(_customer_action, method="POST", owner_status=(403,)),
    "backoffice:approval_detail": Case(_owner_approval_request, owner_status=(403,)),
    "backoffice:approval_decide": Case(_owner_approval_request, method="POST", owner_status=(403,)),
    # The cash desk's pages about a customer, and a cash receipt: the same as the customer
    # view (the customer is refused by the staff portal; another branch's teller gets 404).
    "backoffice:cash_in": Case(_customer_in_back_office, owner_status=(403,)),
    "backoffice:cash_out": Case(_customer_in_back_office, owner_status=(403,)),
    "backoffice:cash_out_approval": Case(_large_cash_out_ask, method="POST", owner_status=(403,)),
    "backoffice:cash_receipt": Case(_cash_movement_in_back_office, owner_status=(403,)),
    # Revealing a masked field of that customer: the same rules (tests/backoffice/test_reveal.py
    # shows the staff who may, with a fresh second-factor code).
    "backoffice:customer_reveal": Case(
        _customer_in_back_office, method="POST", owner_status=(403,)
    ),
    # A new setup link and a limit-override request for that customer (issue 8): the same rules
    # (tests/backoffice/test_customer_actions.py shows the staff who may).
    "backoffice:customer_setup_link": Case(
        _customer_in_back_office, method="POST", owner_status=(403,)
    ),
    "backoffice:customer_limit_override": Case(
        _customer_limit_override, method="POST", owner_status=(403,)
    ),
    # "It was me" on a held transfer: the owner's empty form is refused without a change.
    "wallet:transaction_confirm": Case(
        _held_transfer, method="POST", owner_status=(302,), owner_writes=False
    ),
    "api:transaction-confirm": Case(_held_transfer, method="POST", owner_status=(400,)),
    # The risk officers' case of a held payment: a staff page, refused to every customer and
    # to a teller (only risk officers; tests/backoffice/test_risk_review.py).
    "backoffice:risk_case": Case(_held_case, owner_status=(403,)),
    "backoffice:risk_case_decide": Case(_held_case, method="POST", owner_status=(403,)),
    "backoffice:risk_report": Case(_fraud_report, owner_status=(403,)),
    "backoffice:risk_report_decide": Case(_fraud_report, method="POST", owner_status=(403,)),
    "api:step-up-verify": Case(
        _step_up_challenge,
        method="POST",
        other_refusals=(400,),
        other_refusals_reason=(
            "a challenge that is not the caller's gets the same 400 step_up_expired as an "
            "unknown, used or expired one: nothing to tell apart, and nothing is verified"
        ),
    ),
}


@dataclass(frozen=True)
class OpenByDesign:
    reason: str
    # Whether a customer other than the owner may write through it (pay a request).
    others_may_write: bool = False
    # Whether a caller it answers (2xx) must see the owner named, masked.
    names_owner_masked: bool = False
    # Whether a visitor who is not logged in is still refused (sent to log in, or 401/403).
    visitor_refused: bool = True


# Endpoints open to other callers by design. They are still checked: no 5xx, nothing of the
# owner's private data in any answer, and where the owner is named, only masked.
EXCEPTIONS: dict[str, OpenByDesign] = {
    "wallet:merchant_pay": OpenByDesign(
        "a shop's public pay page (what its QR code opens): any logged-in customer may pay a shop"
    ),
    "wallet:merchant_qr": OpenByDesign(
        "a shop's QR code, printed at its counter: public, it only encodes the pay page's URL",
        visitor_refused=False,
    ),
    "wallet:request_pay": OpenByDesign(
        "a payment request link is meant to be shared: whoever holds it may see and pay it; "
        "the payer sees only the requester's masked name",
        names_owner_masked=True,
    ),
    "api:payment-request": OpenByDesign(
        "the API side of a shared payment request link: readable by any logged-in caller "
        "holding the token, with the requester's name masked",
        names_owner_masked=True,
    ),
    "api:payment-request-pay": OpenByDesign(
        "paying a shared payment request is the link's purpose: any customer holding it may pay",
        others_may_write=True,
        names_owner_masked=True,
    ),
    "surveys:answer": OpenByDesign(
        "a CSAT or NPS survey link: its random one-time token (stored only as a hash, 14 days) is "
        "the credential, so it works without logging in, from an email; the page shows the "
        "question and nothing of the customer's (tests/support/test_csat.py)",
        visitor_refused=False,
    ),
    "wallet:statement_pdf": OpenByDesign(
        "the year and month name no object: each caller gets the statement of their own wallet "
        "(404 without one), so another customer gets theirs, never the owner's"
    ),
}


# --- running the matrix -------------------------------------------------------------------


@dataclass
class Cell:
    endpoint: str
    actor: str
    status: int
    problems: list[str] = field(default_factory=list)


def _send(client: Client, endpoint: Endpoint, case: Case, url: str, target: Target):
    if case.method == "GET":
        return client.get(url, headers=target.headers)
    if endpoint.is_api:
        return client.post(
            url,
            json.dumps(target.data or {}),
            content_type="application/json",
            headers=target.headers,
        )
    return client.post(url, target.data or {}, headers=target.headers)


def response_text(response) -> str:
    """The text a caller gets: HTML, JSON with its escapes undone, or a PDF's extracted text."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/pdf"):
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    if content_type.startswith("application/json"):
        return json.dumps(json.loads(body or b"null"), ensure_ascii=False)
    return body.decode("utf-8", "replace")


def answer(response) -> tuple:
    """What tells two refusals apart: status, the API's error code, where a redirect goes."""
    code = None
    if response.get("Content-Type", "").startswith("application/json") and response.content:
        payload = json.loads(response.content)
        code = payload.get("code") if isinstance(payload, dict) else None
    location = urlsplit(response["Location"]).path if response.has_header("Location") else None
    return response.status_code, code, location


def _is_refusal(endpoint: Endpoint, case: Case, actor: str, response) -> bool:
    status = response.status_code
    if status in (403, 404) or status in case.other_refusals:
        return True
    if actor != VISITOR:
        return False
    if endpoint.is_api:
        return status == 401
    login = resolve_url(settings.LOGIN_URL)
    return status == 302 and response["Location"].startswith(login)


def check_endpoint(endpoint: Endpoint, world: World, case: Case | None = None) -> list[Cell]:
    """Request the owner's object for `endpoint` as every caller; the cells list any problems."""
    case = case or FACTORIES[endpoint.key]
    exception = EXCEPTIONS.get(endpoint.key)
    target = case.make(world)
    url = reverse(endpoint.key, kwargs=target.kwargs)
    ghost_url = reverse(endpoint.key, kwargs=case.ghost(target.kwargs))
    private = {**world.owner_private(), **target.secrets}
    masked = display_name_masked(world.owner)
    cells = []
    for actor in ACTORS:
        client = world.clients[actor]
        before = owner_state(world)
        response = _send(client, endpoint, case, url, target)
        changed = owner_state(world) != before
        cell = Cell(endpoint.key, actor, response.status_code)
        cells.append(cell)
        problems = cell.problems
        if response.status_code >= 500:
            problems.append(f"HTTP {response.status_code}")
            continue
        text = response_text(response)
        if actor == OWNER:
            if response.status_code not in case.owner_status:
                problems.append(
                    f"the owner got {response.status_code}, expected {case.owner_status}"
                )
            elif response.status_code == 302 and response["Location"].startswith(
                (resolve_url(settings.LOGIN_URL), reverse("account_second_factor"))
            ):
                problems.append(f"the owner was sent to {response['Location']}")
            if case.writes() and not changed:
                problems.append("the owner's write changed nothing that owner_state sees")
            if case.owner_sees_secret and not any(s in text for s in target.secrets.values()):
                problems.append("the owner's answer shows none of target.secrets")
            continue
        leaks = [label for label, value in private.items() if value and value in text]
        if leaks:
            problems.append(f"shows the {', '.join(leaks)}")
        if changed and not (exception and exception.others_may_write and actor != VISITOR):
            problems.append(f"{case.method} changed the owner's data")
        if exception is not None:
            answered = response.status_code < 300
            if exception.names_owner_masked and answered and masked not in text:
                problems.append(f"does not show the owner's masked name {masked}")
            refused = _is_refusal(endpoint, case, actor, response)
            if actor == VISITOR and exception.visitor_refused and not refused:
                problems.append(f"a visitor is not refused: HTTP {response.status_code}")
            continue
        if not _is_refusal(endpoint, case, actor, response):
            problems.append(f"not refused: HTTP {response.status_code}")
        ghost = _send(client, endpoint, case, ghost_url, target)
        if answer(ghost) != answer(response):
            problems.append(
                f"answers {answer(response)}, but {answer(ghost)} for an object that does not "
                "exist: a caller can tell the owner's object exists"
            )
    return cells


def summary(cells: list[Cell]) -> str:
    endpoints = list(dict.fromkeys(c.endpoint for c in cells))
    width = max(len(e) for e in endpoints)
    head = "endpoint".ljust(width) + "".join(f"  {a:>20}" for a in ACTORS)
    lines = [head]
    for key in endpoints:
        row = {c.actor: c for c in cells if c.endpoint == key}
        marks = "".join(
            f"  {str(row[a].status) + ('!' if row[a].problems else ''):>20}" for a in ACTORS
        )
        lines.append(f"{key.ljust(width)}{marks}")
    flagged = sum(1 for c in cells if c.problems)
    lines.append(
        f"{len(cells)} matrix cells ({len(endpoints)} object endpoints x {len(ACTORS)} callers) "
        f"checked, {flagged} with problems"
    )
    return "\n".join(lines)
