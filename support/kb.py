"""Knowledge-base services and reads: search index, search and suggestions, votes, outcomes.

Search: Chinese has no spaces between words, so both the articles and the question are cut into
words by jieba (a dictionary-based segmenter in pure Python). It behaves the same on SQLite (the
demo) and PostgreSQL (production), needs no database extension (pg_trgm, zhparser) and handles
short questions ("忘记支付密码怎么办") far better than character trigrams. English and digits are
cut into lower-cased words. Each article keeps its tokens, both languages together, in two text
columns (title, rest) with a space around every token; a question's tokens are matched with
`LIKE '% token %'` and the article's score is 3 per token in the title plus 1 per token in the
rest, computed by the database in one query, highest first.
"""

import logging
import re
from dataclasses import dataclass
from functools import cache

import nh3
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from config.api_errors import ApplicationError

from .models_kb import Article, ArticleVote, KbCategory, SelfHelpOutcome, TourProgress

QUERY_MAX_LENGTH = 200
QUERY_MAX_TOKENS = 12
SUGGESTION_LIMIT = 5
SEARCH_LIMIT = 20
TITLE_WEIGHT = 3

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_LOOKS_LIKE_HTML = re.compile(r"<[a-zA-Z/!]")
_HAN = re.compile(r"[\u3400-\u9fff]")
# Words too common to tell articles apart.
_STOP_WORDS_TEXT = """
    的 了 吗 呢 吧 啊 是 我 你 他 她 它 我们 你们 在 和 与 及 或 就 都 也 还 要 会 能 可以 怎么 怎样
    如何 什么 为什么 哪里 怎么办 一个 这个 那个 有 没有 不 请问 请 一下 到 把 被 给 让 对 从
    a an the and or of to in on at for is are was be do does did how what why where when can i my me
    you your it its this that with from by not no if so as
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


@cache
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def tokens(text: str) -> list[str]:
    """The search words of a text: jieba's words for Chinese, lower-case words for the rest."""
    text = (text or "").lower()
    found: list[str] = []
    if _HAN.search(text):
        for word in _jieba().cut_for_search(text):
            word = word.strip()
            if not word:
                continue
            if _HAN.search(word):
                found.append(word)
            else:
                found.extend(_WORD.findall(word))
    else:
        found = _WORD.findall(text)
    seen, result = set(), []
    for word in found:
        if word in STOP_WORDS or word in seen:
            continue
        if len(word) == 1 and not _HAN.search(word) and not word.isdigit():
            continue
        seen.add(word)
        result.append(word)
    return result


def _strip_tags(html: str) -> str:
    return nh3.clean(html or "", tags=set())


def _index_text(words: list[str]) -> str:
    return " " + " ".join(words) + " " if words else ""


def article_index_rebuild(*, article: Article) -> Article:
    """Recompute an article's search columns from its texts and steps, in every language."""
    languages = [code.replace("-", "_") for code, _name in settings.LANGUAGES]
    title_words: list[str] = []
    body_parts: list[str] = []
    for lang in languages:
        title_words += tokens(getattr(article, f"title_{lang}", "") or "")
        body_parts.append(getattr(article, f"summary_{lang}", "") or "")
        body_parts.append(_strip_tags(getattr(article, f"body_{lang}", "") or ""))
        for step in article.steps.all():
            body_parts.append(getattr(step, f"title_{lang}", "") or "")
            body_parts.append(getattr(step, f"body_{lang}", "") or "")
    body_words = tokens(" ".join(body_parts))
    article.search_title = _index_text(list(dict.fromkeys(title_words)))
    article.search_body = _index_text(body_words)
    Article.objects.filter(pk=article.pk).update(
        search_title=article.search_title, search_body=article.search_body
    )
    return article


# --- reads ---------------------------------------------------------------------------------


def published_articles() -> QuerySet[Article]:
    return Article.objects.filter(status=Article.Status.PUBLISHED).select_related("category")


def article_for_reader(*, slug: str) -> Article:
    """A published article with its steps (two queries), or Article.DoesNotExist."""
    return published_articles().prefetch_related("steps").get(slug=slug)


def categories_with_articles(*, kind: str | None = None) -> list[KbCategory]:
    """Categories holding published articles (of `kind`), each with `.published` (two queries)."""
    articles = Article.objects.filter(status=Article.Status.PUBLISHED)
    if kind:
        articles = articles.filter(kind=kind)
    categories = KbCategory.objects.prefetch_related(
        Prefetch("articles", queryset=articles.order_by("position", "pk"), to_attr="published")
    )
    return [category for category in categories if category.published]


@dataclass(frozen=True)
class SearchQuery:
    text: str
    words: tuple[str, ...]


def search_query_parse(raw: str | None) -> SearchQuery:
    text = " ".join((raw or "").split())[:QUERY_MAX_LENGTH]
    return SearchQuery(text=text, words=tuple(tokens(text)[:QUERY_MAX_TOKENS]))


def article_search(*, query: SearchQuery, kind: str | None = None, limit: int = SEARCH_LIMIT):
    """Published articles matching the question, best first (one query); [] for no words."""
    if not query.words:
        return Article.objects.none()
    score = Value(0)
    matches = Q()
    for word in query.words:
        needle = f" {word} "
        score = score + Case(
            When(search_title__contains=needle, then=Value(TITLE_WEIGHT)),
            default=Value(0),
            output_field=IntegerField(),
        )
        score = score + Case(
            When(search_body__contains=needle, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
        matches |= Q(search_title__contains=needle) | Q(search_body__contains=needle)
    found = published_articles().filter(matches)
    if kind:
        found = found.filter(kind=kind)
    return found.annotate(score=score).order_by("-score", "-solved_count", "position", "pk")[:limit]


def article_html(text: str) -> SafeString:
    """An admin-entered body as safe HTML: tags and attributes outside a short list are removed;
    plain text gets paragraphs and line breaks."""
    text = text or ""
    if not _LOOKS_LIKE_HTML.search(text):
        return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 - escaped by linebreaks
    cleaned = nh3.clean(
        text,
        tags={
            "p",
            "br",
            "strong",
            "em",
            "b",
            "i",
            "ul",
            "ol",
            "li",
            "h2",
            "h3",
            "h4",
            "a",
            "blockquote",
            "code",
            "pre",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        },
        attributes={"a": {"href", "title"}, "th": {"scope"}},
        url_schemes={"https", "http", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


def deflection_figures() -> dict:
    """Solved and escalated self-help flows, and the share solved (None when there are none)."""
    counts = dict.fromkeys(SelfHelpOutcome.Outcome.values, 0)
    rows = SelfHelpOutcome.objects.order_by().values_list("outcome").annotate(n=Count("pk"))
    for outcome, n in rows:
        counts[outcome] = n
    total = counts["solved"] + counts["escalated"]
    rate = round(100 * counts["solved"] / total, 1) if total else None
    return {"solved": counts["solved"], "escalated": counts["escalated"], "rate": rate}


# --- writes --------------------------------------------------------------------------------


def article_vote(
    *, article: Article, helpful: bool, user=None, session_key: str = ""
) -> ArticleVote:
    """Record "was this helpful?": once per customer (or per session for a visitor)."""
    if article.status != Article.Status.PUBLISHED:
        raise ApplicationError(_("No such article."), code="not_found", status_code=404)
    if user is not None and not user.is_authenticated:
        user = None
    if user is None and not session_key:
        raise ApplicationError(_("Your browser must accept cookies to vote."), code="no_session")
    try:
        with transaction.atomic():
            vote = ArticleVote.objects.create(
                article=article,
                user=user,
                session_key="" if user else session_key,
                helpful=helpful,
            )
    except IntegrityError:
        raise ApplicationError(
            _("You have already told us whether this article helped. Thank you."),
            code="already_voted",
            status_code=409,
        ) from None
    counter = "helpful_count" if helpful else "unhelpful_count"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    return vote


def has_voted(*, article: Article, user=None, session_key: str = "") -> bool:
    if user is not None and user.is_authenticated:
        return ArticleVote.objects.filter(article=article, user=user).exists()
    if session_key:
        return ArticleVote.objects.filter(
            article=article, user__isnull=True, session_key=session_key
        ).exists()
    return False


@transaction.atomic
def self_help_outcome_record(
    *, outcome: str, article: Article | None = None, user=None, query: str = ""
) -> SelfHelpOutcome:
    """End a self-help flow: "this solved my problem" (counted on the article) or "I still need
    help". Counted for the deflection rate."""
    if outcome not in SelfHelpOutcome.Outcome.values:
        raise ApplicationError(_("Unknown outcome."), fields={"outcome": [_("Unknown outcome.")]})
    if outcome == SelfHelpOutcome.Outcome.SOLVED and article is None:
        raise ApplicationError(
            _("Say which article solved it."), fields={"article": [_("This field is required.")]}
        )
    if article is not None and article.status != Article.Status.PUBLISHED:
        raise ApplicationError(_("No such article."), fields={"article": [_("No such article.")]})
    if user is not None and not user.is_authenticated:
        user = None
    record = SelfHelpOutcome.objects.create(
        outcome=outcome, article=article, user=user, query=(query or "")[:QUERY_MAX_LENGTH]
    )
    if outcome == SelfHelpOutcome.Outcome.SOLVED:
        Article.objects.filter(pk=article.pk).update(solved_count=F("solved_count") + 1)
    return record


def tour_finish(*, user) -> TourProgress:
    progress, _created = TourProgress.objects.update_or_create(user=user)
    return progress


def tour_due(*, user) -> bool:
    """The first-run tour starts by itself until the customer finishes or skips it."""
    return (
        user.is_authenticated
        and not user.is_staff
        and not TourProgress.objects.filter(user=user).exists()
    )
