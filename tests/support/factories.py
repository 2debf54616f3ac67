from datetime import timedelta

import factory
from django.utils import timezone

from support import kb, tickets
from support.models_kb import Article, KbCategory, TutorialStep
from support.models_tickets import Ticket
from tests.accounts.factories import UserFactory


class KbCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KbCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published FAQ entry in both languages, indexed for search as the admin would."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    kind = Article.Kind.FAQ
    category = factory.SubFactory(KbCategoryFactory)
    slug = factory.Sequence(lambda n: f"article-{n}")
    title_zh_hans = factory.Sequence(lambda n: f"常见问题{n}")
    title_en = factory.Sequence(lambda n: f"Question {n}")
    body_zh_hans = "回答。"
    body_en = "An answer."
    status = Article.Status.PUBLISHED

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            kb.article_index_rebuild(article=self)


class TutorialFactory(ArticleFactory):
    kind = Article.Kind.TUTORIAL

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            for number in (1, 2, 3):
                TutorialStep.objects.create(
                    article=self,
                    number=number,
                    title_zh_hans=f"第{number}步",
                    title_en=f"Step {number}",
                    image_path="img/logo.svg",
                    image_alt_en=f"Picture {number}",
                )
            kb.article_index_rebuild(article=self)


# Tickets in any state, made through the services (so their trail is what a real one has).


def ticket(
    customer=None,
    *,
    category=Ticket.Category.PAYMENT,
    subject="付款没有到账",
    message="我昨天转账给朋友，对方说没有收到。",
    **kwargs,
) -> Ticket:
    return tickets.ticket_create(
        customer=customer or UserFactory(),
        category=category,
        subject=subject,
        message=message,
        **kwargs,
    )


def resolved_ticket(agent, customer=None, *, days_ago: float = 0) -> Ticket:
    t = ticket(customer)
    tickets.ticket_reply_by_agent(ticket=t, agent=agent, body="已为您处理。", then="resolved")
    if days_ago:
        Ticket.objects.filter(pk=t.pk).update(resolved_at=timezone.now() - timedelta(days=days_ago))
    t.refresh_from_db()
    return t


# --- classes and feedback -------------------------------------------------------------------


class TrainingClassFactory(factory.django.DjangoModelFactory):
    """A published class at a branch, starting in three days."""

    class Meta:
        model = "support.TrainingClass"

    title_zh_hans = factory.Sequence(lambda n: f"数字钱包课程{n}")
    title_en = factory.Sequence(lambda n: f"Wallet class {n}")
    description_zh_hans = "课程介绍。"
    description_en = "About the class."
    mode = "branch"
    branch = factory.LazyFunction(lambda: _branch("CL001"))
    address = "二楼活动室"
    language = "zh-hans"
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=3))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1))
    capacity = 10


class OnlineClassFactory(TrainingClassFactory):
    mode = "online"
    branch = None
    address = ""
    join_url = "https://meeting.example.com/class"


def _branch(code: str):
    from backoffice.models import Branch

    return Branch.objects.get_or_create(code=code, defaults={"name": f"支行 {code}"})[0]


def past_class(**kwargs):
    """A class that started an hour ago (made directly: nobody may register for it now)."""
    starts = timezone.now() - timedelta(hours=1)
    return TrainingClassFactory(starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "support.Feedback"

    customer = factory.SubFactory(UserFactory)
    kind = "suggestion"
    text = factory.Sequence(lambda n: f"建议{n}")
    rating = 4
    page = "/dashboard/"
