"""The first-run guided tour: shown to a new customer once, replayable from the help page."""

import pytest
from django.urls import reverse

from support.models_kb import TourProgress
from tests.accounts.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_new_customer_is_offered_the_tour_until_they_take_or_decline_it(client):
    customer = UserFactory()
    client.force_login(customer)
    first = client.get(reverse("dashboard")).content.decode()
    # offered in the page, never covering it uninvited
    assert 'data-testid="tour-offer"' in first and 'data-testid="tour"' not in first
    assert f"{reverse('dashboard')}?tour=1" in first
    response = client.post(reverse("kb:tour_done"), HTTP_X_REQUESTED_WITH="fetch")
    assert response.status_code == 204
    assert TourProgress.objects.filter(user=customer).exists()
    assert 'data-testid="tour-offer"' not in client.get(reverse("dashboard")).content.decode()
    # replay from the help page
    help_page = client.get(reverse("kb:home")).content.decode()
    assert f"{reverse('dashboard')}?tour=1" in help_page
    assert 'data-testid="tour"' in client.get(reverse("dashboard") + "?tour=1").content.decode()


def test_no_thanks_without_javascript_ends_the_offer(client):
    customer = UserFactory()
    client.force_login(customer)
    response = client.post(reverse("kb:tour_done"))
    assert response.status_code == 302 and response.url == reverse("dashboard")
    assert TourProgress.objects.filter(user=customer).exists()


def test_the_tour_covers_dashboard_top_up_pay_and_security(client):
    client.force_login(UserFactory())
    page = client.get(reverse("dashboard") + "?tour=1").content.decode()
    for url in (reverse("wallet:top_up"), reverse("wallet:pay"), reverse("accounts:security")):
        assert f"a[href='{url}']" in page
    assert "js/tour.js" in page


def test_staff_never_get_the_customer_tour(client):
    client.force_login(StaffFactory())
    assert client.get(reverse("kb:home")).status_code == 200


def test_finishing_the_tour_needs_a_login(client):
    response = client.post(reverse("kb:tour_done"))
    assert response.status_code == 302 and "login" in response.url
    assert TourProgress.objects.count() == 0
