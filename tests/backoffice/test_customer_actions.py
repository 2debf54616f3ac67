"""The customer view's further actions: a new setup link, closing the account by four eyes, and
a temporary limit override by four eyes that the wallet's limit check respects until it ends."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, SetupLink
from accounts.setup_links import setup_link_issue, setup_link_valid
from backoffice import approvals, customer_actions, roles
from backoffice.models import ApprovalRequest, AuditEvent
from config.api_errors import ApplicationError
from notifications.models import Notification
from notifications.sms import LocmemSmsBackend
from tests.wallet.factories import funded_wallet
from wallet import services as wallet_services
from wallet.models import LimitOverride, Wallet

from .factories import branch, customer_at, staff, staff_client

pytestmark = pytest.mark.django_db

Action = ApprovalRequest.Action
Status = ApprovalRequest.Status


@pytest.fixture(autouse=True)
def _sms(settings):
    settings.SMS_BACKEND = "notifications.sms.LocmemSmsBackend"
    LocmemSmsBackend.outbox.clear()


@pytest.fixture
def world():
    home, away = branch("HOME"), branch("AWAY")
    return {
        "home": home,
        "teller": staff(roles.TELLER, home),
        "manager": staff(roles.BRANCH_MANAGER, home),
        "risk": staff(roles.RISK_OFFICER),
        "teller_away": staff(roles.TELLER, away),
        "manager_away": staff(roles.BRANCH_MANAGER, away),
    }


def _onboarded(world, *, phone="+8613911112222"):
    """A customer opened at the counter who has not set a password yet, with their first link."""
    customer = customer_at(world["home"], full_name="欧阳明月", phone=phone)
    customer.set_unusable_password()
    customer.save(update_fields=["password"])
    setup_link_issue(user=customer, created_by=world["teller"])
    return customer


def _url_of(token):
    return f"https://wallet.example/accounts/setup/{token}/"


# --- a new setup link -------------------------------------------------------------------------


def test_a_teller_sends_a_new_setup_link_shown_once_as_a_qr_code(
    world, django_capture_on_commit_callbacks
):
    customer = _onboarded(world)
    first = SetupLink.objects.get(user=customer)
    client = staff_client(world["teller"])
    url = reverse("backoffice:customer_setup_link", args=[customer.pk])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.voided_at is not None  # the earlier link no longer works
    new = SetupLink.objects.get(user=customer, voided_at__isnull=True)
    assert new.created_by == world["teller"]
    assert timedelta(hours=23, minutes=59) < new.expires_at - new.created_at <= timedelta(hours=24)
    ((phone, text),) = LocmemSmsBackend.outbox
    assert phone == customer.phone and "/accounts/setup/" in text
    page = client.get(url)
    assert 'data-testid="setup-link"' in page.text and "<svg" in page.text
    token = page.text.split("/accounts/setup/")[1].split("/")[0]
    assert setup_link_valid(token) == new
    assert 'data-testid="setup-link"' not in client.get(url).text  # shown once
    event = AuditEvent.objects.get(action=AuditEvent.Action.SETUP_LINK_RESEND)
    assert (event.actor, event.customer, event.outcome) == (world["teller"], customer, "ok")


def test_no_setup_link_once_the_customer_set_their_password(world):
    customer = customer_at(world["home"])  # has a password of their own
    client = staff_client(world["teller"])

    response = client.post(reverse("backoffice:customer_setup_link", args=[customer.pk]))

    assert response.status_code == 302
    assert not SetupLink.objects.filter(user=customer).exists()
    assert not LocmemSmsBackend.outbox
    event = AuditEvent.objects.get(action=AuditEvent.Action.SETUP_LINK_RESEND)
    assert event.outcome == AuditEvent.Outcome.REFUSED
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "already set their password" in page.text


def test_setup_links_are_rate_limited_per_customer(world, settings):
    settings.BACKOFFICE_SETUP_LINKS_PER_HOUR = 3
    customer = _onboarded(world)  # the first link counts
    for _n in range(2):
        customer_actions.setup_link_resend_by_staff(
            actor=world["teller"], customer_id=customer.pk, url_of=_url_of
        )
    live = SetupLink.objects.get(user=customer, voided_at__isnull=True)

    with pytest.raises(ApplicationError) as refused:
        customer_actions.setup_link_resend_by_staff(
            actor=world["manager"], customer_id=customer.pk, url_of=_url_of
        )

    assert refused.value.get_codes() == "too_many_links"
    assert refused.value.status_code == 429
    assert SetupLink.objects.filter(user=customer).count() == 3
    live.refresh_from_db()
    assert live.voided_at is None  # the refused request voided nothing


def test_the_onboarding_page_resend_follows_the_same_rules(world):
    from backoffice import onboarding

    customer = customer_at(world["home"])  # password already set

    draft = onboarding.onboarding_start(actor=world["teller"])
    draft.customer = customer
    draft.step = draft.Step.DONE
    draft.save()
    with pytest.raises(ApplicationError) as refused:
        onboarding.onboarding_setup_link_resend(
            actor=world["teller"], onboarding=draft, url_of=_url_of
        )
    assert refused.value.get_codes() == "password_already_set"


def test_other_branches_and_risk_officers_cannot_send_a_setup_link(world):
    customer = _onboarded(world)
    url = reverse("backoffice:customer_setup_link", args=[customer.pk])
    assert staff_client(world["teller_away"]).post(url).status_code == 404
    assert staff_client(world["risk"]).post(url).status_code == 403
    assert SetupLink.objects.filter(user=customer).count() == 1


# --- closing the account by four eyes ---------------------------------------------------------


def _emptied(world):
    customer = customer_at(world["home"], full_name="王小明", phone="+8613922223333")
    friend = funded_wallet("1.00")
    funded_wallet("50.00", user=customer)
    wallet_services.transfer_create(
        sender_user=customer,
        to=friend.handle,
        amount="50.00",
        currency="CNY",
        idempotency_key="empty-it",
    )
    return customer


def _ask_close(world, customer, by="teller"):
    return approvals.approval_request_create(
        actor=world[by],
        customer_id=customer.pk,
        action=Action.CLOSE_ACCOUNT,
        reason="客户到柜台要求销户",
        parameters={},
    )


def test_closing_is_refused_while_money_is_left_and_says_to_cash_it_out(world):
    customer = customer_at(world["home"])
    funded_wallet("12.00", user=customer)
    client = staff_client(world["teller"])
    client.post(reverse("backoffice:customer_view", args=[customer.pk]), {"reason": "counter"})

    response = client.post(
        reverse("backoffice:customer_action", args=[customer.pk]),
        {"action": "request_close", "reason": "客户要求销户"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 302
    assert not ApprovalRequest.objects.exists()
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "12.00 CNY" in page.text and "cash it out" in page.text
    customer.refresh_from_db()
    assert customer.is_active


def test_a_manager_approves_the_closure_and_the_customer_is_told(
    world, django_capture_on_commit_callbacks
):
    customer = _emptied(world)
    approval = _ask_close(world, customer)

    with django_capture_on_commit_callbacks(execute=True):
        done = approvals.approval_approve(actor=world["manager"], pk=approval.pk)

    assert done.status == Status.EXECUTED
    customer.refresh_from_db()
    assert not customer.is_active
    assert Wallet.objects.get(user=customer).status == Wallet.Status.CLOSED
    assert SecurityEvent.objects.filter(user=customer, kind="account_closed").count() == 1
    notice = Notification.objects.get(user=customer, kind=Notification.Kind.SECURITY)
    assert "staff" in notice.body.lower() or "员工" in notice.body or "工作人员" in notice.body
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.APPROVAL_APPROVE, customer=customer, actor=world["manager"]
    ).exists()


def test_money_arriving_after_the_request_makes_the_approval_fail(world):
    customer = _emptied(world)
    approval = _ask_close(world, customer)
    wallet_services.wallet_fund_from_clearing(
        wallet=Wallet.objects.get(user=customer),
        amount=Decimal("5.00"),
        currency="CNY",
        description="arrived meanwhile",
    )

    done = approvals.approval_approve(actor=world["manager"], pk=approval.pk)

    assert done.status == Status.FAILED
    assert done.result["code"] == "balance_left"
    customer.refresh_from_db()
    assert customer.is_active
    assert Wallet.objects.get(user=customer).status == Wallet.Status.ACTIVE


def test_a_frozen_wallet_blocks_closing(world):
    customer = _emptied(world)
    wallet_services.wallet_freeze(wallet=Wallet.objects.get(user=customer))
    with pytest.raises(ApplicationError) as refused:
        _ask_close(world, customer)
    assert refused.value.get_codes() == "closure_blocked"
    assert "frozen" in " ".join(refused.value.fields["account"]).lower() or refused.value.fields


def test_nobody_closes_on_their_own_and_other_branches_cannot(world):
    customer = _emptied(world)
    approval = _ask_close(world, customer, by="manager")
    with pytest.raises(ApplicationError):
        approvals.approval_approve(actor=world["manager"], pk=approval.pk)
    with pytest.raises(Http404):  # another branch's manager does not even see it
        approvals.approval_approve(actor=world["manager_away"], pk=approval.pk)
    customer.refresh_from_db()
    assert customer.is_active


# --- limit override by four eyes ------------------------------------------------------------


def _level0_customer(world):
    customer = customer_at(world["home"], kyc_level=0)
    funded_wallet("9000.00", user=customer)
    return customer


def _pay(customer, amount, key):
    friend = Wallet.objects.exclude(user=customer).first() or funded_wallet("1.00")
    return wallet_services.transfer_create(
        sender_user=customer,
        to=friend.handle,
        amount=amount,
        currency="CNY",
        idempotency_key=key,
    )


def test_an_approved_override_raises_the_limit_until_it_expires(
    world, settings, django_capture_on_commit_callbacks
):
    settings.WALLET_STEP_UP_THRESHOLD = "100000"
    customer = _level0_customer(world)
    funded_wallet("1.00")  # someone to pay
    with pytest.raises(ApplicationError) as refused:
        _pay(customer, "3000.00", "before")
    assert refused.value.get_codes() == "limit_per_transaction"

    client = staff_client(world["teller"])
    response = client.post(
        reverse("backoffice:customer_limit_override", args=[customer.pk]),
        {"per_transaction": "5000", "daily": "8000", "days": "2", "reason": "客户购车首付"},
    )
    assert response.status_code == 302
    approval = ApprovalRequest.objects.get(action=Action.LIMIT_OVERRIDE)
    assert approval.parameters == {
        "wallet": Wallet.objects.get(user=customer).pk,
        "per_transaction": "5000.00",
        "daily": "8000.00",
        "days": 2,
    }
    assert not LimitOverride.objects.exists()  # nothing before the approval

    with django_capture_on_commit_callbacks(execute=True):
        done = approvals.approval_approve(actor=world["risk"], pk=approval.pk)

    assert done.status == Status.EXECUTED
    # The customer is told at once, on every channel: raised limits are what a fraud would want.
    notice = Notification.objects.get(user=customer, kind=Notification.Kind.SECURITY)
    assert "5,000.00" in notice.body and "8,000.00" in notice.body
    override = LimitOverride.objects.get()
    assert override.granted_by == world["risk"] and override.reference == f"approval:{approval.pk}"
    _pay(customer, "3000.00", "with-override")
    with pytest.raises(ApplicationError) as refused:
        _pay(customer, "5000.01", "above-override")
    assert refused.value.get_codes() == "limit_per_transaction"

    LimitOverride.objects.filter(pk=override.pk).update(
        starts_at=timezone.now() - timedelta(days=3), expires_at=timezone.now()
    )
    with pytest.raises(ApplicationError) as refused:
        _pay(customer, "2500.00", "after-expiry")
    assert refused.value.get_codes() == "limit_per_transaction"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"per_transaction": "900000", "daily": "1000000", "days": "1"}, "per_transaction"),
        ({"per_transaction": "5000", "daily": "4000", "days": "1"}, "daily"),
        ({"per_transaction": "1000", "daily": "3000", "days": "1"}, "per_transaction"),
        ({"per_transaction": "5000", "daily": "8000", "days": "30"}, "days"),
        ({"per_transaction": "abc", "daily": "8000", "days": "1"}, "per_transaction"),
    ],
)
def test_an_override_out_of_bounds_is_refused_naming_the_field(world, data, field):
    customer = _level0_customer(world)
    client = staff_client(world["teller"])
    response = client.post(
        reverse("backoffice:customer_limit_override", args=[customer.pk]),
        {**data, "reason": "测试"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    assert not ApprovalRequest.objects.exists()


def test_an_override_is_validated_again_at_approval(world):
    customer = _level0_customer(world)
    approval = approvals.approval_request_create(
        actor=world["teller"],
        customer_id=customer.pk,
        action=Action.LIMIT_OVERRIDE,
        reason="临时提额",
        parameters={"per_transaction": "5000", "daily": "8000", "days": 2},
    )
    wallet_services.wallet_freeze(wallet=Wallet.objects.get(user=customer))

    done = approvals.approval_approve(actor=world["manager"], pk=approval.pk)

    assert done.status == Status.FAILED
    assert not LimitOverride.objects.exists()


def test_other_branches_cannot_ask_for_an_override(world):
    customer = _level0_customer(world)
    url = reverse("backoffice:customer_limit_override", args=[customer.pk])
    assert staff_client(world["teller_away"]).get(url).status_code == 404
    assert staff_client(staff(roles.SUPPORT_AGENT)).get(url).status_code == 404
    assert staff_client(staff(roles.CAMPAIGN_ADMIN)).get(url).status_code == 404
    assert staff_client(world["teller"]).get(url).status_code == 200


def test_the_customer_view_offers_the_new_actions_by_role(world):
    customer = _onboarded(world)
    funded_wallet("10.00", user=customer)
    client = staff_client(world["teller"])
    view = reverse("backoffice:customer_view", args=[customer.pk])
    client.post(view, {"reason": "counter"})
    page = client.get(view).text
    assert reverse("backoffice:customer_setup_link", args=[customer.pk]) in page
    assert reverse("backoffice:customer_limit_override", args=[customer.pk]) in page
    assert 'value="request_close"' in page
