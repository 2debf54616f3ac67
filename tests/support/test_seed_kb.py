import pytest
from django.contrib.staticfiles import finders

from support.models_kb import Article, TutorialStep
from support.seed_kb import demo_kb_ensure

pytestmark = pytest.mark.django_db


def test_the_demo_has_faq_tutorials_and_the_security_guide_in_both_languages():
    demo_kb_ensure()
    demo_kb_ensure()  # idempotent
    published = Article.objects.filter(status=Article.Status.PUBLISHED)
    assert published.filter(kind=Article.Kind.FAQ).count() >= 20
    assert published.filter(kind=Article.Kind.TUTORIAL).count() >= 3
    assert published.filter(kind=Article.Kind.GUIDE).count() >= 4
    for article in published:
        assert article.title_zh_hans and article.title_en, article.slug
        assert article.search_title.strip(), article.slug
    for step in TutorialStep.objects.all():
        assert step.title_zh_hans and step.title_en and step.image_alt_en
        assert finders.find(step.image_path), f"{step.image_path} is not a static file"


def test_the_demo_security_notice_reaches_the_demo_customers(django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from notifications.models import Notification
    from support.models_kb import Notice

    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet=True)
    notice = Notice.objects.get()
    assert notice.status == Notice.Status.PUBLISHED
    assert Notification.objects.filter(
        user__email="zhang.san@demo.example", dedupe_key=f"notice:{notice.pk}"
    ).exists()
