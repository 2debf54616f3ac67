"""The shell every page shares: languages, larger text, security headers, assets served locally."""

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_reads_in_chinese_for_zh_hans(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "登录" in html
    assert "Log in" not in html


def test_login_page_reads_in_english_for_en(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="en"' in html
    assert "Log in" in html
    assert "登录" not in html


def test_chinese_is_the_default_language(client):
    html = client.get(reverse("home")).content.decode()
    assert '<html lang="zh-hans"' in html


def test_the_language_switch_persists(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en"' in client.get("/").content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans"' in client.get("/").content.decode()


def test_larger_text_persists_across_pages(client):
    assert 'class="large-text"' not in client.get("/").content.decode()
    response = client.post(reverse("text_size"), {"size": "large", "next": "/accounts/login/"})
    assert response.url == "/accounts/login/"
    assert 'class="large-text"' in client.get("/").content.decode()
    client.post(reverse("text_size"), {"size": "normal"})
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_text_size_refuses_to_redirect_off_site(client):
    response = client.post(reverse("text_size"), {"size": "large", "next": "https://evil.example/"})
    assert response.url == "/"


def test_visitors_see_the_home_page_and_customers_their_dashboard(client, user):
    assert client.get("/").status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302
    client.force_login(user)
    assert client.get("/").url == reverse("dashboard")
    assert client.get(reverse("dashboard")).status_code == 200


def test_pages_carry_security_headers(client):
    response = client.get("/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def test_page_assets_are_local(client):
    html = client.get(reverse("account_login")).content.decode()
    assert "/static/css/app.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "//cdn" not in html and "https://" not in html.split("<body")[0]


def test_api_docs_are_served_without_a_cdn(client):
    html = client.get("/api/docs/").content.decode()
    assert "drf_spectacular_sidecar" in html or "/static/" in html
    assert "cdn.jsdelivr" not in html
    assert client.get("/api/schema/").status_code == 200


def test_forms_tie_errors_to_their_fields(client):
    response = client.post(reverse("account_login"), {"login": "", "password": ""})
    html = response.content.decode()
    assert 'for="id_login"' in html
    assert 'aria-invalid="true"' in html
