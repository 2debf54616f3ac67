"""The knowledge base as customers and visitors see it: published only, both languages, safe
HTML, one vote each, "this solved my problem" counted, a fixed number of queries."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from backoffice import roles
from backoffice.services import role_groups_ensure
from support import kb
from support.models_kb import Article, ArticleVote, SelfHelpOutcome
from tests.accounts.factories import UserFactory
from tests.support.factories import ArticleFactory, KbCategoryFactory, TutorialFactory

pytestmark = pytest.mark.django_db


def test_customers_see_published_articles_only(client):
    published = ArticleFactory(title_zh_hans="已发布的问题")
    draft = ArticleFactory(title_zh_hans="草稿问题", status=Article.Status.DRAFT)
    page = client.get(reverse("kb:home")).content.decode()
    assert "已发布的问题" in page and "草稿问题" not in page
    assert client.get(reverse("kb:article", args=[published.slug])).status_code == 200
    assert client.get(reverse("kb:article", args=[draft.slug])).status_code == 404
    assert client.get(f"/api/v1/tutorials/{draft.slug}/").status_code == 404


def test_an_article_reads_in_the_customers_language_with_chinese_as_fallback(client):
    both = ArticleFactory(title_zh_hans="如何充值", title_en="How to top up")
    only_chinese = ArticleFactory(title_zh_hans="只有中文", title_en="")
    url = reverse("kb:article", args=[both.slug])
    assert "如何充值" in client.get(url).content.decode()
    client.cookies["wallet_language"] = "en"
    assert "How to top up" in client.get(url).content.decode()
    assert (
        "只有中文" in client.get(reverse("kb:article", args=[only_chinese.slug])).content.decode()
    )


def test_a_tutorial_shows_numbered_steps_with_pictures(client):
    tutorial = TutorialFactory()
    page = client.get(reverse("kb:article", args=[tutorial.slug])).content.decode()
    assert page.count('class="kb-step card"') == 3
    assert "/static/img/logo.svg" in page and 'alt="Picture 1"' not in page  # zh alt falls back
    data = client.get(f"/api/v1/tutorials/{tutorial.slug}/").json()
    assert [s["number"] for s in data["steps"]] == [1, 2, 3]
    assert data["steps"][0]["image_url"].endswith("img/logo.svg")


def test_admin_entered_script_never_reaches_the_page(client):
    item = ArticleFactory(
        body_zh_hans='<p onclick="x()">正文</p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">链接</a><img src=x onerror=alert(1)><strong>重点</strong>'
    )
    page = client.get(reverse("kb:article", args=[item.slug])).content.decode()
    body = page.split('class="kb-body"', 1)[1].split("</div>", 1)[0]
    assert "<script" not in body and "onclick" not in body and "onerror" not in body
    assert "javascript:" not in body and "<img" not in body
    assert "<strong>重点</strong>" in body and "正文" in body
    api = client.get("/api/v1/faq/").json()["results"][0]["body_html"]
    assert "<script" not in api and "onclick" not in api


def test_plain_text_bodies_are_escaped_not_interpreted(client):
    item = ArticleFactory(body_zh_hans="1 < 2 & 3 > 2\n第二行")
    page = client.get(reverse("kb:article", args=[item.slug])).content.decode()
    assert "1 &lt; 2 &amp; 3 &gt; 2<br>第二行" in page


def test_one_vote_per_customer(client):
    item = ArticleFactory()
    client.force_login(UserFactory())
    url = reverse("kb:vote", args=[item.slug])
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    item.refresh_from_db()
    assert (item.helpful_count, item.unhelpful_count) == (1, 0)
    assert ArticleVote.objects.count() == 1
    page = client.get(reverse("kb:article", args=[item.slug])).content.decode()
    assert f'action="{url}"' not in page  # the vote buttons are gone


def test_a_visitor_votes_once_per_session_and_another_session_counts_again():
    item = ArticleFactory()
    url = reverse("kb:vote", args=[item.slug])
    first, second = Client(), Client()
    first.post(url, {"helpful": "yes"})
    first.post(url, {"helpful": "yes"})
    second.post(url, {"helpful": "no"})
    item.refresh_from_db()
    assert (item.helpful_count, item.unhelpful_count) == (1, 1)


def test_a_bad_vote_changes_nothing(client):
    item = ArticleFactory()
    response = client.post(reverse("kb:vote", args=[item.slug]), {"helpful": "maybe"})
    assert response.status_code == 302
    assert ArticleVote.objects.count() == 0


def test_vote_api_refuses_a_second_vote_with_409():
    item = ArticleFactory()
    client = Client()
    client.force_login(UserFactory())
    url = f"/api/v1/faq/{item.pk}/vote/"
    assert client.post(url, {"helpful": True}, content_type="application/json").status_code == 201
    again = client.post(url, {"helpful": False}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "already_voted"
    assert client.post(url, {"helpful": "x"}, content_type="application/json").status_code == 400
    assert (
        client.post(
            "/api/v1/faq/999999/vote/", {"helpful": True}, content_type="application/json"
        ).status_code
        == 404
    )


def test_this_solved_my_problem_ends_the_flow_and_counts(client):
    item = ArticleFactory()
    customer = UserFactory()
    client.force_login(customer)
    response = client.post(
        reverse("kb:outcome"), {"outcome": "solved", "article": item.pk, "q": "问题"}
    )
    assert response.status_code == 302 and response.url == reverse("kb:home")
    client.post(reverse("kb:outcome"), {"outcome": "escalated", "q": "还是不行"})
    client.post(reverse("kb:outcome"), {"outcome": "escalated"})
    item.refresh_from_db()
    assert item.solved_count == 1
    assert SelfHelpOutcome.objects.filter(user=customer).count() == 3
    assert kb.deflection_figures() == {"solved": 1, "escalated": 2, "rate": 33.3}


def test_a_bad_outcome_is_refused_and_changes_nothing(client):
    draft = ArticleFactory(status=Article.Status.DRAFT)
    client.post(reverse("kb:outcome"), {"outcome": "solved"})
    client.post(reverse("kb:outcome"), {"outcome": "solved", "article": draft.pk})
    client.post(reverse("kb:outcome"), {"outcome": "whatever"})
    client.post(reverse("kb:outcome"), {"outcome": "solved", "article": "9" * 40})
    assert SelfHelpOutcome.objects.count() == 0
    api_client = Client()
    api_client.force_login(UserFactory())
    api = api_client.post(
        "/api/v1/faq/outcome/", {"outcome": "solved"}, content_type="application/json"
    )
    assert api.status_code == 400 and "article" in api.json()["errors"]


def test_the_security_guide_shows_every_section(client):
    category = KbCategoryFactory(slug="security")
    for title in ("保护好您的密码", "银行绝不会向您索要"):
        ArticleFactory(kind=Article.Kind.GUIDE, category=category, title_zh_hans=title)
    page = client.get(reverse("kb:security")).content.decode()
    assert "保护好您的密码" in page and "银行绝不会向您索要" in page


def test_campaign_admins_edit_the_knowledge_base_and_the_lead_reads_deflection():
    role_groups_ensure()
    admin_perms = set(
        Group.objects.get(name=roles.CAMPAIGN_ADMIN).permissions.values_list("codename", flat=True)
    )
    assert {
        "add_article",
        "change_article",
        "change_tutorialstep",
        "view_selfhelpoutcome",
    } <= admin_perms
    lead_perms = set(
        Group.objects.get(name=roles.SUPPORT_LEAD).permissions.values_list("codename", flat=True)
    )
    assert "view_selfhelpoutcome" in lead_perms and "change_article" not in lead_perms


@pytest.mark.parametrize("url", ["/help/", "/help/search/?q=密码+password", "/help/security/"])
def test_help_pages_run_a_fixed_number_of_queries(client, django_assert_max_num_queries, url):
    counts = []
    for size in (3, 30):
        for i in range(size - Article.objects.count()):
            kind = [Article.Kind.FAQ, Article.Kind.TUTORIAL, Article.Kind.GUIDE][i % 3]
            ArticleFactory(
                kind=kind,
                title_en=f"password question {i}",
                category=KbCategoryFactory(slug=f"c{i % 5}"),
            )
        with django_assert_max_num_queries(8) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("url", ["/api/v1/faq/", "/api/v1/faq/?q=password", "/api/v1/tutorials/"])
def test_kb_api_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries, url):
    counts = []
    for size in (3, 30):
        for i in range(size - Article.objects.count()):
            kind = [Article.Kind.FAQ, Article.Kind.TUTORIAL][i % 2]
            ArticleFactory(kind=kind, title_en=f"password question {i}")
        with django_assert_max_num_queries(6) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_tutorial_detail_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    tutorial = TutorialFactory()
    with django_assert_max_num_queries(3):
        assert client.get(f"/api/v1/tutorials/{tutorial.slug}/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("kb:article", args=[tutorial.slug])).status_code == 200
