"""The campaign admin of the promotions tests: a staff member in the campaign_admin group."""

import pytest
from django.contrib.auth.models import Group

from backoffice import roles
from backoffice.services import role_groups_ensure
from tests.accounts.factories import StaffFactory, TOTPDeviceFactory


@pytest.fixture
def campaign_admin(client):
    role_groups_ensure()
    staff = StaffFactory()
    staff.groups.add(Group.objects.get(name=roles.CAMPAIGN_ADMIN))
    client.force_login(staff)
    return staff


def verify_second_factor(client, staff):
    from django_otp import DEVICE_ID_SESSION_KEY

    device = TOTPDeviceFactory(user=staff)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
