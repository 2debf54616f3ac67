"""Each transaction records the channel it came through (wallet/channel.py), for the KPIs."""

import pytest
from django.test import RequestFactory

from tests.wallet.factories import WalletFactory, funded_wallet
from tests.wallet.risk_support import transfer
from wallet.channel import ChannelMiddleware, channel_for_path, current_channel
from wallet.models import Transaction

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "channel"),
    [
        ("/api/v1/transfers/", "app"),
        ("/backoffice/cash/customers/3/in/", "counter"),
        ("/wallet/transfer/", "web"),
        ("/", "web"),
    ],
)
def test_the_middleware_sets_the_channel_for_the_request_only(path, channel):
    seen = []
    middleware = ChannelMiddleware(lambda request: seen.append(current_channel.get()))
    middleware(RequestFactory().get(path))
    assert seen == [channel] and channel_for_path(path) == channel
    assert current_channel.get() is None  # reset after the request


def test_a_transfer_through_the_api_is_recorded_as_app():
    sender, payee = funded_wallet("100.00"), WalletFactory()
    response = transfer(sender.user, payee.handle, "10.00", "channel-1")
    assert response.status_code == 201, response.content
    txn = Transaction.objects.get(pk=response.json()["id"])
    assert txn.metadata["channel"] == "app"


def test_work_outside_a_request_records_no_channel():
    wallet = funded_wallet("5.00")
    assert "channel" not in Transaction.objects.get(entries__account__wallet=wallet).metadata
