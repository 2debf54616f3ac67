"""Staff reach /admin/ and /backoffice/ only after passing a second factor."""

import pytest
from django.urls import reverse

from .factories import PASSWORD, StaffFactory, TOTPDeviceFactory, totp_code

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/admin/", "/backoffice/"])
def test_staff_without_a_second_factor_are_sent_to_enrol(client, path):
    staff = StaffFactory(is_superuser=True)
    client.force_login(staff)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:totp_setup"))


@pytest.mark.parametrize("path", ["/admin/", "/backoffice/"])
def test_staff_with_an_unverified_session_must_verify(client, path):
    device = TOTPDeviceFactory(user=StaffFactory(is_superuser=True))
    client.force_login(device.user)
    response = client.get(path)
    assert response.url.startswith(reverse("account_second_factor"))

    response = client.post(
        f"{reverse('account_second_factor')}?next={path}", {"otp_token": totp_code(device)}
    )
    assert response.url == path
    assert client.get(path).status_code == 200


def test_staff_logging_in_with_their_code_reach_the_admin(client):
    device = TOTPDeviceFactory(user=StaffFactory(is_superuser=True))
    client.post(reverse("account_login"), {"login": device.user.email, "password": PASSWORD})
    client.post(reverse("account_second_factor"), {"otp_token": totp_code(device)})
    assert client.get("/admin/").status_code == 200


def test_anonymous_admin_visit_goes_to_the_portal_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    login = client.get(response.url, follow=True)
    assert login.redirect_chain[-1][0].startswith(reverse("account_login"))


@pytest.mark.parametrize("path", ["/admin/", "/backoffice/"])
def test_customers_cannot_open_the_staff_pages(client, user, path):
    # Not a redirect to the login page: that sends a logged-in user back here, in a loop.
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == 403
