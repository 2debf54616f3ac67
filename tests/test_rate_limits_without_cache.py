"""With the cache (Redis) unreachable, rate-limited pages and the token API still answer."""

from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache_down():
    with (
        mock.patch.object(cache, "get_or_set", side_effect=ConnectionError("redis down")),
        mock.patch.object(cache, "incr", side_effect=ConnectionError("redis down")),
        mock.patch.object(cache, "get", side_effect=ConnectionError("redis down")),
        mock.patch.object(cache, "set", side_effect=ConnectionError("redis down")),
    ):
        yield


def test_receipt_verification_answers_while_the_cache_is_down(client, cache_down):
    response = client.get(reverse("verify_receipt"), {"code": "NOTAREALCODE"})
    assert response.status_code == 200


def test_the_token_api_answers_while_the_cache_is_down(client, cache_down):
    user = UserFactory()
    response = client.post(
        reverse("api:auth-token"),
        {"email": user.email, "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["token"]
