"""seed_demo's segments: two demo customers with different spending see different first offers,
and seeding again adds nothing."""

import pytest
from django.core.management import call_command

from accounts.models import User
from promotions.models import CustomerSegment
from promotions.offers import offers_for
from wallet.models import Transaction

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_two_customers_different_offers_idempotently():
    call_command("seed_demo", quiet=True)
    call_command("seed_demo", quiet=True)

    assert Transaction.objects.filter(idempotency_key__startswith="demo-offers-").count() == 7
    li = User.objects.get(email="li.si@demo.example")
    zhao = User.objects.get(email="zhao.lei@demo.example")
    zhang = User.objects.get(email="zhang.san@demo.example")
    assert {CustomerSegment.Code.TOP_FOOD} <= set(li.segments.values_list("code", flat=True))
    assert CustomerSegment.Code.TOP_TRANSPORT in set(zhao.segments.values_list("code", flat=True))
    assert not zhang.segments.exists()  # 张三 did not accept personalised offers

    li_first, zhao_first = offers_for(li)[1][0], offers_for(zhao)[1][0]
    assert li_first.key != zhao_first.key
    assert li_first.reason and zhao_first.reason
    assert offers_for(zhang)[0] is False
