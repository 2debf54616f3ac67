"""The guardrail checks. Each takes what it inspects and returns a list of Violations.

An empty list means the page passed. The crawler (crawl.py) runs them on every page it finds;
test_checks_catch_defects.py runs them on deliberately broken pages (broken_urls.py) to show
that each one really catches its defect.
"""

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

VENDOR = Path(__file__).parent / "vendor"

# The checks, in the order of the summary table.
STATUS = "status"
HEADERS = "headers"
CSRF = "csrf"
STRUCTURE = "structure"
AXE = "axe"
LANGUAGE = "language"
OVERFLOW = "overflow"
CHECKS = {
    STATUS: "status (no 5xx, no loop)",
    HEADERS: "security headers",
    CSRF: "csrf token in post forms",
    STRUCTURE: "lang, title, one <main>",
    AXE: "axe serious/critical",
    LANGUAGE: "english on zh-hans pages",
    OVERFLOW: "small screens (overflow)",
}

# Impacts that fail the axe check; "minor" and "moderate" findings are not failures (yet).
AXE_FAILING_IMPACTS = ("serious", "critical")

# Headers every HTML response carries: (header, required value or None for any value).
REQUIRED_HEADERS = (
    ("content-security-policy", None),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", None),
)

# English a zh-hans page may show: brand and product names (the authenticator apps a user has
# to find in an app store), currency codes, the other language's name in the language switcher,
# and abbreviations that Chinese banking apps use as they are. Emails and URLs are left out too.
ALLOWED_ENGLISH = (
    "Google Authenticator",
    "Microsoft Authenticator",
    "CNY",
    "USD",
    "EUR",
    "HKD",
    "JPY",
    "English",
    "QR",
    "API",
    "TOTP",
    "PDF",
    "CSV",
    "JSON",
)
# Elements whose text is not checked on zh-hans pages: code (keys, backup codes), what the user
# typed, scripts, and anything explicitly marked as another language or as not to be
# translated (`lang="en"`, `translate="no"`, e.g. a name the user chose).
LANGUAGE_EXEMPT_SELECTOR = (
    'code, pre, kbd, samp, script, style, template, noscript, textarea, [translate="no"], '
    '[lang]:not([lang|="zh"])'
)
# ASCII only: Chinese puts English right next to its characters ("扫描QR码"), and Python's
# \w and \b count those characters as word characters.
ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
URL = re.compile(r"(?:https?://|www\.)[!-~]+")
ALLOWED_ENGLISH_RE = re.compile(
    r"(?<![A-Za-z])(?:"
    + "|".join(re.escape(p) for p in sorted(ALLOWED_ENGLISH, key=len, reverse=True))
    + r")(?![A-Za-z])"
)


@dataclass(frozen=True)
class Violation:
    check: str
    url: str
    message: str
    role: str = ""

    def __str__(self):
        who = f"{self.role} " if self.role else ""
        return f"[{self.check}] {who}{self.url}: {self.message}"


@cache
def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def where(url: str) -> str:
    """A page's path and query, which is what a reader of a report needs."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def check_status(url: str, status: int) -> list[Violation]:
    if status >= 500:
        return [Violation(STATUS, where(url), f"HTTP {status}")]
    return []


def is_html(response) -> bool:
    return response.headers.get("content-type", "").startswith("text/html")


def check_security_headers(response) -> list[Violation]:
    """Headers of one HTML response (a Playwright Response)."""
    headers = response.headers  # lower-case names
    found = []
    for name, value in REQUIRED_HEADERS:
        actual = headers.get(name)
        if actual is None:
            found.append(Violation(HEADERS, where(response.url), f"no {name} header"))
        elif value is not None and actual.strip().lower() != value:
            found.append(
                Violation(HEADERS, where(response.url), f"{name} is {actual!r}, not {value!r}")
            )
    return found


_POST_FORMS_WITHOUT_TOKEN = """() => Array.from(document.forms)
  .filter(f => (f.getAttribute('method') || 'get').toLowerCase() === 'post')
  .filter(f => !f.querySelector('input[name="csrfmiddlewaretoken"]'))
  .map(f => f.getAttribute('action') || '(its own URL)')"""


def check_csrf_tokens(page) -> list[Violation]:
    return [
        Violation(CSRF, where(page.url), f"<form method=post action={action}> has no CSRF token")
        for action in page.evaluate(_POST_FORMS_WITHOUT_TOKEN)
    ]


_STRUCTURE = """() => ({
  lang: document.documentElement.getAttribute('lang'),
  title: document.title,
  mains: document.querySelectorAll('main, [role="main"]').length,
})"""


def check_structure(page) -> list[Violation]:
    """`<html lang>`, a non-empty `<title>` of the page's own, exactly one main landmark."""
    info = page.evaluate(_STRUCTURE)
    url = where(page.url)
    found = []
    if not (info["lang"] or "").strip():
        found.append(Violation(STRUCTURE, url, "<html> has no lang attribute"))
    title = (info["title"] or "").strip()
    if not title:
        found.append(Violation(STRUCTURE, url, "<title> is empty"))
    elif title[0] in "·|-–—":
        # base.html's title is "{page title} · 数字钱包": the page left its own part empty.
        found.append(Violation(STRUCTURE, url, f"<title> has no page title: {title!r}"))
    if info["mains"] != 1:
        found.append(
            Violation(STRUCTURE, url, f"{info['mains']} <main> landmarks instead of exactly one")
        )
    return found


_AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')), count: v.nodes.length,
  }));
}"""


def check_axe(page) -> list[Violation]:
    """axe-core's rules (WCAG 2.x A/AA and best practices); serious or critical ones fail."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # DevTools evaluation is not subject to the page's CSP (script-src 'self').
        page.evaluate(axe_source())
    return [
        Violation(
            AXE,
            where(page.url),
            f"{v['impact']} {v['id']}: {v['help']} ({v['count']}x, e.g. {', '.join(v['nodes'])})",
        )
        for v in page.evaluate(_AXE_RUN)
        if v["impact"] in AXE_FAILING_IMPACTS
    ]


_VISIBLE_TEXT = """(exempt) => {
  const hidden = [];
  for (const el of document.body.querySelectorAll(exempt)) {
    hidden.push([el, el.style.getPropertyValue('display'), el.style.getPropertyPriority('display')]);
    el.style.setProperty('display', 'none', 'important');
  }
  try {
    const texts = [document.title, document.body.innerText];
    const named = '[alt], [title], [placeholder], [aria-label], ' +
      'input[type=submit][value], input[type=button][value], input[type=reset][value]';
    for (const el of document.body.querySelectorAll(named)) {
      if (el.getClientRects().length === 0) continue;  // not rendered, not announced
      for (const attr of ['alt', 'title', 'placeholder', 'aria-label']) {
        if (el.hasAttribute(attr)) texts.push(el.getAttribute(attr));
      }
      if (el.tagName === 'INPUT' && el.hasAttribute('value')) texts.push(el.value);
    }
    return texts;
  } finally {
    for (const [el, value, priority] of hidden) el.style.setProperty('display', value, priority);
  }
}"""


def english_words(text: str) -> list[str]:
    """Words of 3+ ASCII letters left after removing emails, URLs and the allowed English."""
    text = ALLOWED_ENGLISH_RE.sub(" ", URL.sub(" ", EMAIL.sub(" ", text)))
    return ENGLISH_WORD.findall(text)


def check_language(page) -> list[Violation]:
    """On a zh-hans page, the text people see or hear is Chinese."""
    lang = (page.evaluate("() => document.documentElement.lang") or "").lower()
    if not lang.startswith("zh"):
        return []
    found_words: list[str] = []
    lines: list[str] = []
    for text in page.evaluate(_VISIBLE_TEXT, LANGUAGE_EXEMPT_SELECTOR):
        for line in (text or "").splitlines():
            words = english_words(line)
            if words:
                found_words += [w for w in words if w not in found_words]
                lines.append(line.strip()[:80])
    if not found_words:
        return []
    shown = ", ".join(found_words[:15]) + (", ..." if len(found_words) > 15 else "")
    sample = " | ".join(lines[:3])
    return [Violation(LANGUAGE, where(page.url), f"English words {shown} in: {sample}")]


_OVERFLOW = """(width) => {
  const scrollWidth = document.documentElement.scrollWidth;
  const culprits = [];
  if (scrollWidth > width) {
    const describe = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      Array.from(el.classList).map(c => '.' + c).join('');
    for (const el of document.body.querySelectorAll('*')) {
      const right = el.getBoundingClientRect().right;
      if (right <= width + 0.5) continue;
      const parent = el.parentElement;
      if (parent && parent !== document.body && parent.getBoundingClientRect().right > width + 0.5) continue;
      culprits.push(describe(el) + ' ends at ' + Math.round(right) + 'px');
      if (culprits.length === 3) break;
    }
  }
  return {scrollWidth, culprits};
}"""


def check_overflow(page, width: int, variant: str = "") -> list[Violation]:
    """No horizontal scrolling: the document is no wider than the viewport."""
    info = page.evaluate(_OVERFLOW, width)
    if info["scrollWidth"] <= width:
        return []
    label = f" ({variant})" if variant else ""
    culprits = "; ".join(info["culprits"]) or "no single element found"
    return [
        Violation(
            OVERFLOW,
            where(page.url),
            f"{info['scrollWidth']}px wide at {width}px{label}: {culprits}",
        )
    ]
