"""Search and suggestions: a customer's question, in Chinese or English, finds the right answer."""

import pytest
from django.urls import reverse

from support import kb
from support.models_kb import Article
from support.seed_kb import demo_kb_ensure
from tests.support.factories import ArticleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    demo_kb_ensure()


def _first(question: str) -> str:
    found = list(kb.article_search(query=kb.search_query_parse(question)))
    assert found, f"nothing found for {question!r}"
    return found[0].slug


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("我忘记登录密码了怎么办", "forgot-password"),
        ("怎么绑定银行卡", "bind-card"),
        ("转错账了能退回吗", "wrong-transfer"),
        ("钱包被冻结", "frozen-wallet"),
        ("充值一直在处理中", "topup-pending"),
    ],
)
def test_a_chinese_question_finds_its_answer(seeded, question, slug):
    assert _first(question) == slug


@pytest.mark.parametrize(
    ("question", "slug"),
    [
        ("I forgot my password", "forgot-password"),
        ("how do I link a bank card", "bind-card"),
        ("sent money to the wrong person", "wrong-transfer"),
        ("my wallet is frozen", "frozen-wallet"),
        ("withdraw to my bank", "withdraw-how"),
    ],
)
def test_an_english_question_finds_its_answer(seeded, question, slug):
    assert _first(question) == slug


def test_chinese_is_cut_into_words_not_characters():
    words = kb.tokens("忘记支付密码怎么办")
    assert "密码" in words and "忘记" in words
    assert "怎么办" not in words  # too common to tell answers apart


def test_drafts_are_never_found():
    ArticleFactory(title_zh_hans="草稿里的秘密问题", status=Article.Status.DRAFT)
    assert list(kb.article_search(query=kb.search_query_parse("秘密问题"))) == []


def test_an_empty_or_punctuation_query_finds_nothing(seeded):
    for raw in ("", "   ", "？？！", "%_%"):
        assert list(kb.article_search(query=kb.search_query_parse(raw))) == []


def test_the_title_weighs_more_than_the_body():
    body_only = ArticleFactory(title_en="Something else", body_en="about passkeys here")
    in_title = ArticleFactory(title_en="Passkeys explained", body_en="text")
    found = list(kb.article_search(query=kb.search_query_parse("passkeys")))
    assert [a.pk for a in found] == [in_title.pk, body_only.pk]


def test_suggestions_appear_while_typing_in_either_field(client, seeded):
    htmx = {"HTTP_HX_REQUEST": "true"}
    response = client.get(reverse("kb:suggest"), {"message": "收到可疑短信"}, **htmx)
    assert response.status_code == 200
    assert "收到可疑短信或电话怎么办" in response.content.decode()
    response = client.get(
        reverse("kb:suggest"), {"subject": "", "message": "suspicious SMS"}, **htmx
    )
    assert "suspicious-sms" in response.content.decode()
    # opened as a page, without htmx: the search page
    response = client.get(reverse("kb:suggest"), {"q": "冻结"})
    assert response.status_code == 302 and response.url.startswith(reverse("kb:search"))


def test_the_search_page_lists_answers(client, seeded):
    response = client.get(reverse("kb:search"), {"q": "如何提现"})
    assert response.status_code == 200
    assert reverse("kb:article", args=["withdraw-how"]) in response.content.decode()


def test_search_api_answers_in_the_language_asked(client, seeded):
    response = client.get("/api/v1/faq/", {"q": "two-step login"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["slug"] in {"two-step-login", "tutorial-two-step-login"}
    assert results[0]["title"].lower().startswith(("how do i turn on two-step", "tutorial"))


def test_a_very_long_query_is_cut_not_refused(client, seeded):
    response = client.get("/api/v1/faq/", {"q": "密码" * 500})
    assert response.status_code == 200
