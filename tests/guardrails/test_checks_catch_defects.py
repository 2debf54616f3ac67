"""The guardrails guard: each check catches its defect on a deliberately broken page.

The pages come from broken_urls.py (the real site plus /broken/...). Its index page has no
defect, which shows that the checks do not cry wolf on a page built like the real ones.
"""

import pytest

from . import checks
from .crawl import PHONE, VISITOR, Crawler, new_context, set_preferences, start_paths

BROKEN_URLS = "tests.guardrails.broken_urls"


def test_english_words_leave_out_the_allowed_english_emails_and_urls():
    text = (
        "用 Google Authenticator 或 Microsoft Authenticator 扫描 QR 码；"
        "币种 CNY、USD、EUR、HKD、JPY；导出 CSV 或 PDF；TOTP 和 API；English；"
        "联系 help.desk@wallet.example 或 https://wallet.example/help?topic=login"
    )
    assert checks.english_words(text) == []
    assert checks.english_words("请点击 Submit 按钮，Authenticator 也不行") == [
        "Submit",
        "Authenticator",
    ]
    assert checks.english_words("金额 12.34 CNYX") == ["CNYX"]
    # Chinese puts English right next to its characters.
    assert checks.english_words("扫描QR码，导出CSV文件，币种CNY，邮箱a.b@wallet.example。") == []
    assert checks.english_words("请点击Submit按钮，或访问https://wallet.example/help。") == [
        "Submit"
    ]


def _open(page, live_server, path):
    return page.goto(live_server.url + path)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(BROKEN_URLS)
class TestEachCheckCatchesItsDefect:
    def test_the_index_page_passes_every_check(self, zh_page, live_server):
        response = _open(zh_page, live_server, "/broken/")
        found = checks.check_status(response.url, response.status)
        found += checks.check_security_headers(response)
        found += checks.check_csrf_tokens(zh_page)
        found += checks.check_structure(zh_page)
        found += checks.check_axe(zh_page)
        found += checks.check_language(zh_page)
        found += checks.check_overflow(zh_page, PHONE["width"])
        assert found == []

    def test_axe_catches_an_image_without_alt_text(self, zh_page, live_server):
        _open(zh_page, live_server, "/broken/missing-alt/")
        found = checks.check_axe(zh_page)
        assert [v.check for v in found] == [checks.AXE]
        assert found[0].url == "/broken/missing-alt/"
        assert "critical image-alt" in found[0].message

    def test_language_check_catches_an_untranslated_sentence(self, zh_page, live_server):
        _open(zh_page, live_server, "/broken/english/")
        found = checks.check_language(zh_page)
        assert [v.check for v in found] == [checks.LANGUAGE]
        assert "Your, transfer, has, been, sent, the, payee" in found[0].message

        # The same sentence on the English page is what it should be.
        set_preferences(zh_page.context, live_server.url, "en", "normal")
        _open(zh_page, live_server, "/broken/english/")
        assert checks.check_language(zh_page) == []

    def test_overflow_check_catches_a_2000px_table(self, zh_page, live_server):
        _open(zh_page, live_server, "/broken/wide-table/")
        found = checks.check_overflow(zh_page, PHONE["width"], "zh-hans")
        assert [v.check for v in found] == [checks.OVERFLOW]
        assert "at 360px (zh-hans)" in found[0].message
        assert "table ends at" in found[0].message

    def test_status_check_catches_a_server_error(self, zh_page, live_server):
        response = _open(zh_page, live_server, "/broken/server-error/")
        assert response.status == 500
        found = checks.check_status(response.url, response.status)
        assert [str(v) for v in found] == ["[status] /broken/server-error/: HTTP 500"]

    def test_csrf_check_catches_a_post_form_without_a_token(self, zh_page, live_server):
        _open(zh_page, live_server, "/broken/no-csrf/")
        found = checks.check_csrf_tokens(zh_page)
        assert [v.check for v in found] == [checks.CSRF]
        assert "has no CSRF token" in found[0].message

    def test_header_check_catches_a_page_without_csp(self, zh_page, live_server):
        response = _open(zh_page, live_server, "/broken/no-csp/")
        found = checks.check_security_headers(response)
        assert [v.message for v in found] == ["no content-security-policy header"]

    def test_structure_check_catches_a_page_without_lang_title_or_single_main(
        self, zh_page, live_server
    ):
        _open(zh_page, live_server, "/broken/bare/")
        found = checks.check_structure(zh_page)
        assert [v.message for v in found] == [
            "<html> has no lang attribute",
            "<title> is empty",
            "2 <main> landmarks instead of exactly one",
        ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.urls(BROKEN_URLS)
def test_the_crawler_finds_the_broken_pages_and_reports_each_defect(browser, live_server):
    start = start_paths()
    assert {"/broken/", "/broken/missing-alt/", "/broken/server-error/"} <= set(start)
    assert "/broken/unlisted/" not in start  # it has no name: only a link leads to it

    context = new_context(browser, live_server.url)
    try:
        report = Crawler(context, live_server.url, VISITOR).crawl(["/broken/"])
    finally:
        context.close()

    assert "/broken/unlisted/" in report.pages
    found = {(v.check, v.url) for v in report.violations}
    assert {
        (checks.AXE, "/broken/missing-alt/"),
        (checks.LANGUAGE, "/broken/english/"),
        (checks.OVERFLOW, "/broken/wide-table/"),
        (checks.CSRF, "/broken/no-csrf/"),
        (checks.HEADERS, "/broken/no-csp/"),
        (checks.STATUS, "/broken/server-error/"),
        (checks.STRUCTURE, "/broken/bare/"),
        (checks.STATUS, "/broken/redirect-loop/"),
    } <= found
    clean = {"/broken/", "/broken/unlisted/", "/", "/accounts/login/", "/accounts/signup/"}
    assert not [v for v in report.violations if v.url in clean]
    # The wide table is too wide in every variant: English, larger text, and on a desktop.
    wide = [v.message for v in report.violations if v.check == checks.OVERFLOW]
    variants = {message.split("(")[1].split(")")[0] for message in wide}
    assert {"zh-hans", "desktop", "en, normal text", "en, large text", "zh-hans, large text"} <= (
        variants
    )
    assert all(v.role == VISITOR for v in report.violations)
