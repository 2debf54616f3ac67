"""Playwright driving Debian's headless Chromium (never a downloaded browser) against live_server.

The session-wide `browser` fixture lives in tests/conftest.py: tests/guardrails uses it too.
"""

import pytest


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
