"""The public pages fit a 360 px phone screen, in both languages and with larger text."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("large_text", [False, True])
def test_no_horizontal_scrolling_at_360px(browser, live_server, language, large_text):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    host = live_server.url.split("//")[1].split(":")[0]
    cookies = [{"name": "wallet_language", "value": language, "domain": host, "path": "/"}]
    if large_text:
        cookies.append({"name": "wallet_text_size", "value": "large", "domain": host, "path": "/"})
    context.add_cookies(cookies)
    page = context.new_page()
    try:
        for path in PAGES:
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == language
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"{path} is {width}px wide"
    finally:
        context.close()
