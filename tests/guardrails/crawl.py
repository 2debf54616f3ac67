"""A crawler that finds the site's pages by itself and runs every check (checks.py) on them.

Start URLs are the URLconf's named patterns that take no arguments; from there it follows the
same-origin links of each page. Each URL pattern is visited once per role, so a page added
later is checked as soon as it is in the URLconf or linked from a page, without a new test.
"""

import hashlib
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import (
    NoReverseMatch,
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)

from accounts.context_processors import TEXT_SIZE_COOKIE
from backoffice import roles
from tests.accounts.factories import totp_code

from . import checks
from .checks import Violation, where

VISITOR = "visitor"
CUSTOMER = "customer"
ROLES = (VISITOR, CUSTOMER, *roles.ALL_ROLES)
MAX_PAGES_PER_ROLE = 60
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# Playwright's errors for a navigation that shows no page.
NO_PAGE_ERRORS = ("Download is starting", "net::ERR_HTTP_RESPONSE_CODE_FAILURE")
REDIRECT_LOOP_ERROR = "net::ERR_TOO_MANY_REDIRECTS"
# The 404 page is a page people see too.
NOT_FOUND_PROBE = "/guardrails/no-such-page/"
# Besides the zh-hans page at normal text size, each page must fit a phone in these.
SMALL_SCREEN_VARIANTS = (("en", "normal"), ("en", "large"), ("zh-hans", "large"))

# Not pages: JSON and static files, and POST-only switches whose GET is useless or harmful.
SKIPPED_PREFIXES = ("/api/", "/static/", "/media/")
SKIPPED_URL_NAMES = {"set_language", "text_size"}
# Django admin views that are not pages: JSON, JavaScript, redirects off to the site.
SKIPPED_ADMIN_URL_NAMES = {"jsi18n", "autocomplete", "view_on_site"}


def is_admin(path: str) -> bool:
    """Django admin: a third-party UI (for campaign admins) whose markup and English we don't own.

    Its pages are still crawled (status, headers, CSRF, structure, small screens), but the axe
    and language checks skip them: their findings would be Django's, not ours to fix.
    """
    return path.startswith("/admin/")


def _match(path: str):
    try:
        return resolve(urlsplit(path).path)
    except Resolver404:
        return None


def skip_reason(path: str) -> str | None:
    """Why a same-origin URL is not crawled, or None if it is."""
    if urlsplit(path).path.startswith(SKIPPED_PREFIXES):
        return "not a page"
    match = _match(path)
    if match is None:
        return None
    name = match.url_name or ""
    if "logout" in name:
        return "logs out"
    if name in SKIPPED_URL_NAMES:
        return "POST-only preference"
    if "admin" in match.namespaces and name in SKIPPED_ADMIN_URL_NAMES:
        return "admin internal"
    return None


def pattern_key(path: str) -> str:
    """What makes two URLs the same page: their URL pattern (an unknown path is its own key)."""
    match = _match(path)
    if match is None:
        return urlsplit(path).path
    return f"{match.route} ({match.view_name})"


def _named_patterns(resolver, namespaces=()):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _named_patterns(
                entry, (*namespaces, entry.namespace) if entry.namespace else namespaces
            )
        elif isinstance(entry, URLPattern) and entry.name:
            yield namespaces, entry.name


def start_paths() -> list[str]:
    """Every named URL of the URLconf that needs no arguments, minus what is not a page, plus
    a 404 probe. Of the Django admin only its index: the rest is reached through its links.
    """
    paths = []
    for namespaces, name in _named_patterns(get_resolver()):
        if "admin" in namespaces and name != "index":
            continue
        try:
            path = reverse(":".join((*namespaces, name)))
        except NoReverseMatch:
            continue  # needs arguments
        if path not in paths and skip_reason(path) is None:
            paths.append(path)
    return [*paths, NOT_FOUND_PROBE]


def new_context(browser, base_url: str, language: str = "zh-hans"):
    """A phone-sized browser context with the portal's language cookie set."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    context.set_default_timeout(15_000)
    set_preferences(context, base_url, language, "normal")
    return context


def set_preferences(context, base_url: str, language: str, text_size: str) -> None:
    context.add_cookies(
        [
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base_url},
            {"name": TEXT_SIZE_COOKIE, "value": text_size, "url": base_url},
        ]
    )


def log_in(context, base_url: str, email: str, password: str, totp_device=None) -> None:
    """Through the real login pages; with an authenticator also through the second-factor step."""
    page = context.new_page()
    try:
        login = reverse("account_login")
        page.goto(base_url + login)
        page.fill("#id_login", email)
        page.fill("#id_password", password)
        page.click(f"main form[action='{login}'] button[type=submit]")
        if totp_device is not None:
            page.wait_for_url(re.compile(re.escape(reverse("account_second_factor"))))
            page.fill("#id_otp_token", totp_code(totp_device))
            # The code's own form: a page may hold others (a notice banner's "dismiss").
            page.locator("form:has(#id_otp_token) button[type=submit]").first.click()
        page.wait_for_url(re.compile(re.escape(reverse("dashboard"))))
    finally:
        page.close()


@dataclass
class RoleReport:
    role: str
    pages: list[str] = field(default_factory=list)  # HTML pages reached (path and query)
    checked: int = 0  # of which checked in full (the others looked the same to an earlier role)
    violations: list[Violation] = field(default_factory=list)

    def count(self, check: str) -> int:
        return sum(1 for v in self.violations if v.check == check)


def _slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "root"


CSRF_TOKEN_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]*"')


@dataclass
class KnownPages:
    """What the roles' crawlers share, so that no two of them do the same work twice."""

    # Violations of each page checked in full, by its URL and rendered HTML.
    checked: dict[str, list[Violation]] = field(default_factory=dict)
    # URLs that answered GET with 405 (POST-only views): no role needs to try them again.
    post_only: set[str] = field(default_factory=set)


class Crawler:
    """Crawls the site as one logged-in browser context and checks each page it reaches.

    Share one `known` between the roles' crawlers: a page that looks exactly the same to a
    later role (say, the password form) is not checked again, its violations are that role's
    too; and a POST-only URL is not tried again.
    """

    def __init__(
        self,
        context,
        base_url: str,
        role: str,
        *,
        known: "KnownPages | None" = None,
        screenshot_dir: Path | None = None,
        identity: tuple[str, ...] = (),
    ):
        self.context = context
        self.base_url = base_url.rstrip("/")
        self.origin = urlsplit(self.base_url)[:2]
        self.report = RoleReport(role)
        self.known = KnownPages() if known is None else known
        self.screenshot_dir = screenshot_dir
        # Who is logged in (email, names): left out of the fingerprint, so a page that differs
        # from an earlier role's only by the greeting is not checked again in full.
        self.identity = tuple(
            sorted((t for t in identity if len(t or "") > 1), key=len, reverse=True)
        )
        self.page = None
        self._open_page()
        self._broken_resources: list[Violation] = []

    def _open_page(self):
        if self.page is not None:
            self.page.close()
        self.page = self.context.new_page()
        self.page.on("response", self._on_response)

    def _on_response(self, response):
        if response.status >= 500 and not response.request.is_navigation_request():
            self._broken_resources.append(
                Violation(checks.STATUS, where(response.url), f"HTTP {response.status}")
            )

    def _add(self, found: list[Violation], shot: str | None = None) -> list[Violation]:
        """Keep the violations of the page just checked, and screenshot it if there were any."""
        found = [*found, *self._broken_resources]
        self._broken_resources.clear()
        for violation in found:
            violation = Violation(
                violation.check, violation.url, violation.message, self.report.role
            )
            if violation not in self.report.violations:
                self.report.violations.append(violation)
        if found and shot is not None and self.screenshot_dir is not None:
            self.screenshot_dir.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(
                path=self.screenshot_dir / f"{self.report.role}-{_slug(shot)}.png", full_page=True
            )
        return found

    def _same_origin_path(self, url: str) -> str | None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.origin:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _goto(self, path: str):
        """The response of a navigation; an API request's if the browser shows no page for it.

        Chromium downloads a file instead of showing it, and refuses an error response with an
        empty body (e.g. a 405 of a POST-only view); the same GET outside the page tells us its
        status and headers.
        """
        from playwright.sync_api import Error

        try:
            return self.page.goto(self.base_url + path)
        except Error as exc:
            # Chromium goes on to load its own error page, which would interrupt the next goto.
            self._open_page()
            if REDIRECT_LOOP_ERROR in str(exc):
                self._add([Violation(checks.STATUS, where(path), "redirect loop")])
                return None
            if not any(reason in str(exc) for reason in NO_PAGE_ERRORS):
                raise
            return self.context.request.get(self.base_url + path)

    def _fingerprint(self, path: str) -> str:
        html = CSRF_TOKEN_VALUE.sub(r'\1"', self.page.content())
        for text in self.identity:
            html = html.replace(text, "\N{BULLET}")
        return hashlib.sha256(f"{path}\n{html}".encode()).hexdigest()

    def crawl(self, start: list[str], max_pages: int = MAX_PAGES_PER_ROLE) -> RoleReport:
        queue = deque(start)
        seen: set[str] = set()
        to_vary: list[tuple[str, str]] = []
        while queue and len(self.report.pages) < max_pages:
            path = queue.popleft()
            key = pattern_key(path)
            if key in seen:
                continue
            seen.add(key)
            if path in self.known.post_only:
                continue
            response = self._goto(path)
            if response is not None and response.status == 405:
                self.known.post_only.add(path)
            if response is None or response.status == 405:
                continue
            final = where(response.url)
            page_reached = checks.is_html(response) and self._same_origin_path(response.url)
            self._add(checks.check_status(final, response.status), final if page_reached else None)
            if not page_reached:
                continue
            final_key = pattern_key(final)
            if final_key != key and final_key in seen:
                continue  # redirected to a page already checked
            seen.add(final_key)
            self.report.pages.append(final)
            fingerprint = self._fingerprint(final)
            if fingerprint in self.known.checked:
                self._add(self.known.checked[fingerprint])
            else:
                self.report.checked += 1
                self.known.checked[fingerprint] = self._check_page(response, final)
                to_vary.append((final, fingerprint))
            for href in self.page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)"):
                link = self._same_origin_path(href)
                if link and skip_reason(link) is None and pattern_key(link) not in seen:
                    queue.append(link)
        self._check_small_screens(to_vary)
        self.page.close()
        return self.report

    def _check_page(self, response, path: str) -> list[Violation]:
        page = self.page
        found = checks.check_security_headers(response)
        found += checks.check_csrf_tokens(page)
        found += checks.check_structure(page)
        if not is_admin(path):
            found += checks.check_axe(page)
            found += checks.check_language(page)
        found += checks.check_overflow(page, PHONE["width"], "zh-hans")
        found = self._add(found, path)
        page.set_viewport_size(DESKTOP)
        found += self._add(
            checks.check_overflow(page, DESKTOP["width"], "desktop"), f"{path}-desktop"
        )
        page.set_viewport_size(PHONE)
        return found

    def _check_small_screens(self, pages: list[tuple[str, str]]) -> None:
        """Each page again at 360 px in English and with larger text, in both languages."""
        for language, text_size in SMALL_SCREEN_VARIANTS:
            set_preferences(self.context, self.base_url, language, text_size)
            variant = f"{language}, {text_size} text"
            for path, fingerprint in pages:
                response = self._goto(path)
                if response is None:
                    continue
                found = checks.check_status(path, response.status)
                found += checks.check_overflow(self.page, PHONE["width"], variant)
                self.known.checked[fingerprint] += self._add(
                    found, f"{path}-{language}-{text_size}"
                )
        set_preferences(self.context, self.base_url, "zh-hans", "normal")


def summary_table(reports: list[RoleReport]) -> str:
    """One line per check: pages crawled, then violations of each check, per role and in total."""
    roles_ = [r.role for r in reports]
    rows = [
        ("pages crawled", [len(r.pages) for r in reports]),
        ("pages checked in full", [r.checked for r in reports]),
    ]
    rows += [(label, [r.count(check) for r in reports]) for check, label in checks.CHECKS.items()]
    first = max(len(label) for label, _ in rows)
    widths = [max(len(role), 5) for role in roles_]
    head = "check".ljust(first) + "".join(
        f"  {role:>{w}}" for role, w in zip(roles_, widths, strict=True)
    )
    lines = [head + "  total"]
    for label, counts in rows:
        cells = "".join(f"  {c:>{w}}" for c, w in zip(counts, widths, strict=True))
        lines.append(f"{label.ljust(first)}{cells}  {sum(counts):>5}")
    return "\n".join(lines)
