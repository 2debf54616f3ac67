"""Every page the crawler finds, as every role, passes every guardrail check.

The summary table is printed and also written to var/guardrails-summary.txt (so it is there
without `-s`); screenshots of failing pages go to var/guardrails-failures/.
"""

import shutil

import pytest
from django.conf import settings

from .crawl import (
    NOT_FOUND_PROBE,
    ROLES,
    VISITOR,
    Crawler,
    KnownPages,
    log_in,
    new_context,
    skip_reason,
    start_paths,
    summary_table,
)

SUMMARY = settings.BASE_DIR / "var" / "guardrails-summary.txt"
FAILURES = settings.BASE_DIR / "var" / "guardrails-failures"


def test_start_paths_are_the_argument_free_pages_of_the_urlconf():
    paths = start_paths()
    for page in ("/", "/dashboard/", "/accounts/login/", "/accounts/security/", "/backoffice/"):
        assert page in paths
    assert "/admin/" in paths
    assert not [p for p in paths if p.startswith("/admin/") and p != "/admin/"]
    assert not [p for p in paths if p.startswith("/api/")]
    for not_a_page in ("/accounts/logout/", "/i18n/setlang/", "/preferences/text-size/"):
        assert not_a_page not in paths
        assert skip_reason(not_a_page)
    assert paths[-1] == NOT_FOUND_PROBE


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_page_passes_the_guardrails_for_every_role(browser, live_server, role_logins):
    shutil.rmtree(FAILURES, ignore_errors=True)
    start = start_paths()
    reports = []
    known = KnownPages()  # a page that looks the same to a later role is not checked again
    for role in ROLES:
        context = new_context(browser, live_server.url)
        try:
            login = role_logins[role]
            if role != VISITOR:
                log_in(context, live_server.url, login.email, login.password, login.totp_device)
            identity = (login.email, *login.names) if login else ()
            crawler = Crawler(
                context,
                live_server.url,
                role,
                known=known,
                screenshot_dir=FAILURES,
                identity=identity,
            )
            reports.append(crawler.crawl(start))
        finally:
            context.close()

    violations = [v for report in reports for v in report.violations]
    table = summary_table(reports)
    details = "\n".join(str(v) for v in violations) or "no violations"
    pages = "\n".join(f"{r.role}: {' '.join(r.pages)}" for r in reports)
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(f"{table}\n\n{details}\n\npages crawled\n{pages}\n", encoding="utf-8")
    print(f"\n{table}")

    assert all(report.pages for report in reports)
    assert not violations, (
        f"{len(violations)} guardrail violations (screenshots in {FAILURES}):\n{details}"
    )
