"""A campaign admin's money actions leave a trail: funding a pool and issuing vouchers write a
backoffice.AuditEvent (who, role, what, amount, outcome) with the action, refusals too."""

from decimal import Decimal

import pytest
from django.utils import translation

from backoffice.models import AuditEvent
from config.api_errors import ApplicationError
from promotions import selectors, services, vouchers
from promotions.models import Voucher
from tests.accounts.factories import UserFactory
from wallet.models import Transaction

from .conftest import verify_second_factor
from .factories import CampaignFactory, discount_campaign, funded_campaign, voucher_for

pytestmark = pytest.mark.django_db


def test_funding_from_the_admin_is_audited_with_the_amount(client, campaign_admin):
    verify_second_factor(client, campaign_admin)
    campaign = CampaignFactory()

    response = client.post(f"/admin/promotions/campaign/{campaign.pk}/fund/", {"amount": "250.00"})

    assert response.status_code == 302
    event = AuditEvent.objects.get(action=AuditEvent.Action.CAMPAIGN_FUND)
    assert (event.actor, event.outcome) == (campaign_admin, AuditEvent.Outcome.OK)
    assert event.role  # the staff member's role, e.g. campaign admin
    assert event.detail["campaign"] == campaign.pk
    assert event.detail["amount"] == "250.00"
    assert event.detail["pool_balance"] == "250.00"
    txn = Transaction.objects.get(metadata__campaign_funding=campaign.pk)
    assert event.detail["transaction"] == txn.pk
    assert event.request_id


def test_a_refused_funding_is_audited_as_refused_and_moves_nothing():
    staff = UserFactory(is_staff=True)
    campaign = CampaignFactory()

    with translation.override("en"), pytest.raises(ApplicationError):
        services.campaign_fund(campaign=campaign, amount="0.001", funded_by=staff)

    event = AuditEvent.objects.get(action=AuditEvent.Action.CAMPAIGN_FUND)
    assert event.outcome == AuditEvent.Outcome.REFUSED
    assert event.detail["amount"] == "0.001"
    assert event.reason
    assert selectors.campaign_pool_balance(campaign) == Decimal("0")


def test_funding_and_its_audit_event_are_kept_or_lost_together(monkeypatch):
    staff = UserFactory(is_staff=True)
    campaign = CampaignFactory()

    def broken_recorder(**kwargs):
        raise RuntimeError("audit storage down")

    monkeypatch.setattr("promotions.audit._recorders", [broken_recorder])
    with pytest.raises(RuntimeError):
        services.campaign_fund(campaign=campaign, amount="100.00", funded_by=staff)

    assert selectors.campaign_pool_balance(campaign) == Decimal("0")
    assert not Transaction.objects.filter(metadata__campaign_funding=campaign.pk).exists()


def test_system_funding_without_a_staff_member_writes_no_audit_event():
    funded_campaign()  # seed_demo and tests fund with funded_by=None
    assert not AuditEvent.objects.exists()


def test_issuing_vouchers_from_the_admin_is_audited_with_count_and_value(client, campaign_admin):
    verify_second_factor(client, campaign_admin)
    campaign = voucher_for(UserFactory()).campaign  # 20.00 off 50, one per customer
    UserFactory(email="alice@example.com")
    UserFactory(email="carol@example.com")

    response = client.post(
        f"/admin/promotions/campaign/{campaign.pk}/issue-vouchers/",
        {"emails": "alice@example.com\ncarol@example.com\nnobody@example.com"},
    )

    assert response.status_code == 302
    assert Voucher.objects.filter(campaign=campaign).count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.VOUCHERS_ISSUE)
    assert (event.actor, event.outcome) == (campaign_admin, AuditEvent.Outcome.OK)
    assert event.detail["campaign"] == campaign.pk
    assert (event.detail["issued"], event.detail["skipped"]) == (2, 1)
    assert event.detail["voucher_value"] == "20.00"
    assert event.detail["total_value"] == "40.00"


def test_issuing_vouchers_of_a_cash_campaign_is_refused_and_audited():
    staff = UserFactory(is_staff=True)
    cash = discount_campaign()
    UserFactory(email="alice@example.com")

    with translation.override("en"), pytest.raises(ApplicationError):
        vouchers.vouchers_issue(campaign=cash, emails=["alice@example.com"], issued_by=staff)

    event = AuditEvent.objects.get(action=AuditEvent.Action.VOUCHERS_ISSUE)
    assert event.outcome == AuditEvent.Outcome.REFUSED
    assert "voucher" in event.reason
    assert not Voucher.objects.exists()
