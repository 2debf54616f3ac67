"""Nightly segments: only for customers who accepted personalised offers, set-based, idempotent,
deleted when the consent is withdrawn; campaigns limited to segments; win-back messages."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.consent import consents_record
from accounts.models import Consent
from notifications.models import Notification, OutboxMessage
from promotions import segments
from promotions.models import (
    Campaign,
    CategoryAffinity,
    CustomerSegment,
    Redemption,
    WinBackMessage,
)
from tests.promotions.factories import discount_campaign
from tests.promotions.segment_helpers import backdate_activity, customer, pay, shop
from wallet.models import Merchant

pytestmark = pytest.mark.django_db
Code = CustomerSegment.Code


def codes(user) -> set[str]:
    return set(CustomerSegment.objects.filter(user=user).values_list("code", flat=True))


def test_only_consenting_customers_are_segmented():
    food = shop(Merchant.Category.FOOD)
    consenting = customer()
    refusing = customer(personalisation=False)
    withdrawn = customer()
    consents_record(user=withdrawn, choices={Consent.Kind.PERSONALISATION: False})
    for user in (consenting, refusing, withdrawn):
        pay(user, food)

    run = segments.segments_compute()

    assert run.customers == 1
    assert codes(consenting) == {Code.ACTIVE, Code.TOP_FOOD}
    for user in (refusing, withdrawn):
        assert not CustomerSegment.objects.filter(user=user).exists()
        assert not CategoryAffinity.objects.filter(user=user).exists()


def test_the_data_export_shows_what_was_worked_out():
    from accounts.data_export import data_export_build

    user = customer()
    pay(user, shop())
    segments.segments_compute()
    document = data_export_build(user=user)
    assert document["personalisation"] == {
        "segments": ["active", "top_food"],
        "category_affinities": [{"category": "food", "score": "1.0000"}],
    }


def test_personalisation_is_off_until_accepted():
    user = customer(personalisation=False)
    pay(user, shop())
    segments.segments_compute()
    assert CustomerSegment.objects.count() == 0


def test_new_active_and_dormant_stages():
    newcomer = customer(joined_days_ago=3)
    active = customer()
    pay(active, shop())
    dormant = {}
    for days in (35, 65, 95):
        dormant[days] = customer()
        pay(dormant[days], shop())
        backdate_activity(dormant[days], days)
    never_paid = customer(joined_days_ago=40)
    backdate_activity(never_paid, 40)  # its funding too

    segments.segments_compute()

    assert Code.NEW in codes(newcomer) and Code.ACTIVE in codes(newcomer)  # funded just now
    assert Code.ACTIVE in codes(active) and Code.NEW not in codes(active)
    assert Code.DORMANT_30 in codes(dormant[35])
    assert Code.DORMANT_60 in codes(dormant[65])
    assert codes(dormant[95]) == {Code.DORMANT_90}  # payments older than 90 days: no affinity
    assert codes(never_paid) == {Code.DORMANT_30}
    assert not codes(active) & {Code.DORMANT_30, Code.DORMANT_60, Code.DORMANT_90}


def test_high_spender_above_the_configured_amount(settings):
    settings.SEGMENT_HIGH_SPENDER_MONTHLY_CNY = "1000"
    big, small = customer(), customer()
    store = shop(Merchant.Category.SHOPPING)
    pay(big, store, "600.00")
    pay(big, store, "600.00")
    pay(small, store, "50.00")
    segments.segments_compute()
    assert Code.HIGH_SPENDER in codes(big)
    assert Code.HIGH_SPENDER not in codes(small)


def test_high_spender_top_decile(settings):
    settings.SEGMENT_HIGH_SPENDER_MONTHLY_CNY = "1000000"
    settings.SEGMENT_DECILE_MIN_CUSTOMERS = 10
    store = shop()
    users = [customer() for _ in range(10)]
    for i, user in enumerate(users):
        pay(user, store, f"{10 * (i + 1)}.00")
    segments.segments_compute()
    high = [u for u in users if Code.HIGH_SPENDER in codes(u)]
    assert high == [users[-1]]  # the top tenth of ten spenders is the biggest one


def test_category_affinity_scores_amount_and_frequency():
    user = customer()
    food, transport = shop(Merchant.Category.FOOD), shop(Merchant.Category.TRANSPORT)
    for _ in range(3):
        pay(user, food, "10.00")
    pay(user, transport, "90.00")

    segments.segments_compute()

    scores = dict(CategoryAffinity.objects.filter(user=user).values_list("category", "score"))
    # food: (30/120 + 3/4) / 2 = 0.5; transport: (90/120 + 1/4) / 2 = 0.5
    assert scores == {"food": Decimal("0.5000"), "transport": Decimal("0.5000")}
    assert {Code.TOP_FOOD, Code.TOP_TRANSPORT} <= codes(user)


def test_running_twice_gives_the_same_rows():
    user = customer()
    pay(user, shop())
    segments.segments_compute()
    first = sorted(CustomerSegment.objects.values_list("user_id", "code"))
    affinities = sorted(CategoryAffinity.objects.values_list("user_id", "category", "score"))
    segments.segments_compute()
    assert sorted(CustomerSegment.objects.values_list("user_id", "code")) == first
    assert (
        sorted(CategoryAffinity.objects.values_list("user_id", "category", "score")) == affinities
    )


def test_a_customer_who_leaves_a_segment_loses_it():
    user = customer()
    pay(user, shop())
    segments.segments_compute()
    assert Code.ACTIVE in codes(user)
    backdate_activity(user, 40)
    segments.segments_compute()
    assert codes(user) == {Code.DORMANT_30, Code.TOP_FOOD}


def test_the_run_is_set_based(django_assert_max_num_queries):
    """The same handful of queries for 2 customers or 12: never one per customer."""
    store = shop()
    for _ in range(2):
        pay(customer(), store)
    with django_assert_max_num_queries(12) as few:
        segments.segments_compute()
    for _ in range(10):
        pay(customer(), shop(Merchant.Category.HEALTH))
    with django_assert_max_num_queries(len(few.captured_queries)):
        segments.segments_compute()


def test_withdrawing_on_the_privacy_page_deletes_segments_at_once(client):
    user = customer()
    pay(user, shop())
    segments.segments_compute()
    assert CustomerSegment.objects.filter(user=user).exists()
    client.force_login(user)

    response = client.post(reverse("accounts:privacy"), {})  # everything unticked

    assert response.status_code == 302
    assert not CustomerSegment.objects.filter(user=user).exists()
    assert not CategoryAffinity.objects.filter(user=user).exists()
    latest = Consent.objects.filter(user=user, kind=Consent.Kind.PERSONALISATION).first()
    assert latest.granted is False


def test_privacy_page_offers_the_choice_unticked_with_an_explanation(client):
    user = customer(personalisation=False)
    client.force_login(user)
    response = client.get(reverse("accounts:privacy"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'name="personalisation"' in html
    assert 'name="personalisation" checked' not in html
    assert "nothing is worked out about you" in html
    client.post(reverse("accounts:privacy"), {"personalisation": "on"})
    assert Consent.objects.filter(
        user=user, kind=Consent.Kind.PERSONALISATION, granted=True
    ).exists()


def test_compute_segments_command(capsys):
    pay(customer(), shop())
    call_command("compute_segments")
    out = capsys.readouterr().out
    assert "customers=1 segments=2 affinities=1 win_backs=0" in out.splitlines()[-1]


# --- campaign targeting ----------------------------------------------------------------------


def test_a_discount_limited_to_a_segment_applies_only_to_its_members():
    food = shop(Merchant.Category.FOOD)
    member, outsider, refusing = customer(), customer(), customer(personalisation=False)
    pay(member, food)
    pay(refusing, food)
    pay(outsider, shop(Merchant.Category.TRANSPORT))
    segments.segments_compute()
    campaign = discount_campaign(merchants=[food], target_segments=[Code.TOP_FOOD])

    for user in (member, outsider, refusing):
        pay(user, food, "100.00")

    rewarded = set(Redemption.objects.filter(campaign=campaign).values_list("user_id", flat=True))
    assert rewarded == {member.pk}


def test_an_untargeted_discount_still_applies_to_everyone():
    food = shop()
    campaign = discount_campaign(merchants=[food])
    user = customer(personalisation=False)
    pay(user, food, "100.00")
    assert Redemption.objects.filter(campaign=campaign, user=user).exists()


# --- win-back --------------------------------------------------------------------------------


def win_backs(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user, kind=Notification.Kind.MARKETING))


def test_win_back_once_per_stage_and_again_after_coming_back(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = customer(personalisation=False, marketing=True)
    store = shop()
    pay(user, store)
    backdate_activity(user, 35)

    def queue() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return segments.win_back_queue()

    assert queue() == 1
    assert queue() == 0  # not again at the same stage
    assert len(win_backs(user)) == 1
    assert len(mailoutbox) == 1

    backdate_activity(user, 65)
    assert queue() == 1  # the 60-day stage
    assert len(win_backs(user)) == 2

    pay(user, store)  # active again: nothing while active
    assert queue() == 0
    backdate_activity(user, 31)  # dormant again: a new spell
    assert queue() == 1
    assert WinBackMessage.objects.filter(user=user).count() == 3
    assert len(win_backs(user)) == 3


def test_no_win_back_without_marketing_consent_or_while_active():
    silent = customer(marketing=False)
    backdate_activity(silent, 40)
    active = customer(marketing=True)
    pay(active, shop())
    assert segments.win_back_queue() == 0
    assert not OutboxMessage.objects.filter(topic=segments.WIN_BACK_TOPIC).exists()
    assert win_backs(silent) == [] and win_backs(active) == []


def test_the_nightly_task_computes_segments_and_queues_win_backs():
    from promotions.tasks import compute_segments

    dormant = customer(marketing=True)
    backdate_activity(dormant, 95)
    result = compute_segments()
    assert result == {"customers": 1, "segments": 1, "win_backs": 1}
    assert codes(dormant) == {Code.DORMANT_90}


def test_the_campaign_admin_limits_a_campaign_to_segments(client, campaign_admin):
    from tests.promotions.conftest import verify_second_factor
    from tests.promotions.test_discount_pages_admin_seed import _discount_form

    verify_second_factor(client, campaign_admin)
    food = shop()
    page = client.get("/admin/promotions/campaign/add/").content.decode()
    assert 'name="target_segments"' in page
    response = client.post(
        "/admin/promotions/campaign/add/",
        _discount_form(food, target_segments=[Code.TOP_FOOD, Code.DORMANT_30]),
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="周末满减")
    assert sorted(campaign.target_segments) == [Code.DORMANT_30, Code.TOP_FOOD]
    refused = client.post(
        "/admin/promotions/campaign/add/",
        _discount_form(shop(), name="坏的", target_segments=["no_such_segment"]),
    )
    assert refused.status_code == 200
    assert "target_segments" in refused.context["adminform"].form.errors
