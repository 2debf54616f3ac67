"""Database-level history (django-pghistory): writes that bypass the services are recorded."""

import pytest
from django.db import connection

from promotions.models import Campaign
from tests.promotions.factories import CampaignFactory
from tests.wallet.factories import WalletFactory
from wallet.models import Wallet

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_a_bulk_update_of_a_wallets_status_leaves_a_history_row():
    wallet = WalletFactory(status=Wallet.Status.ACTIVE)
    Wallet.objects.filter(pk=wallet.pk).update(status=Wallet.Status.FROZEN)
    events = wallet.events.order_by("pgh_id")
    assert [(e.pgh_label, e.status) for e in events] == [
        ("insert", Wallet.Status.ACTIVE),
        ("update", Wallet.Status.FROZEN),
    ]


def test_a_raw_sql_fix_of_a_users_kyc_level_is_recorded_without_the_password():
    wallet = WalletFactory()
    user = wallet.user
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET kyc_level = 2 WHERE id = %s", [user.pk])
    latest = user.events.order_by("-pgh_id").first()
    assert (latest.pgh_label, latest.kyc_level) == ("update", 2)
    assert not hasattr(latest, "password")


def test_a_login_or_password_change_alone_adds_no_user_history_row():
    user = WalletFactory().user
    before = user.events.count()
    user.set_password("another-pass-9281")
    user.save(update_fields=["password"])
    assert user.events.count() == before


def test_campaign_changes_are_recorded():
    campaign = CampaignFactory()
    Campaign.objects.filter(pk=campaign.pk).update(name="改名")
    assert campaign.events.order_by("-pgh_id").first().name == "改名"
