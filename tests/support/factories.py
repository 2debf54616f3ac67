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


# Surveys: CSAT and NPS answers with a chosen time, channel and score, and admin-built surveys.


def survey_answer(
    *,
    kind="csat",
    score: int,
    customer=None,
    at=None,
    channel="link",
    comment="",
):
    """An answered invitation (made through the ORM: the test chooses when it was answered)."""
    from support.models_surveys import SurveyAnswer, SurveyInvitation

    at = at or timezone.now()
    customer = customer or UserFactory()
    invitation = SurveyInvitation.objects.create(
        kind=kind,
        customer=customer,
        # Through the ORM: many answers of one customer would meet the ticket rate limit.
        ticket=(
            Ticket.objects.create(customer=customer, category="payment", subject="已解决的问题")
            if kind == "csat"
            else None
        ),
        created_at=at,
        expires_at=at + timedelta(days=14),
        answered_at=at,
    )
    return SurveyAnswer.objects.create(
        invitation=invitation,
        kind=kind,
        customer=customer,
        score=score,
        comment=comment,
        channel=channel,
        created_at=at,
    )


def built_survey(*, opens_days_ago=1, closes_in_days=30, title="服务满意度调查"):
    """An open survey with one question of each kind: rating (required), single choice
    (required), multiple choice and text (optional)."""
    from support.models_surveys import Survey, SurveyChoice, SurveyQuestion

    now = timezone.now()
    survey = Survey.objects.create(
        title_zh_hans=title,
        title_en="Service survey",
        opens_at=now - timedelta(days=opens_days_ago),
        closes_at=now + timedelta(days=closes_in_days),
    )
    kinds = [
        ("rating", "您对转账功能满意吗？", "How happy are you with transfers?", True),
        ("single", "您最常用哪个功能？", "Which feature do you use most?", True),
        ("multiple", "您希望增加哪些功能？", "Which features should we add?", False),
        ("text", "还有什么建议？", "Anything else?", False),
    ]
    for position, (kind, zh, en, required) in enumerate(kinds):
        question = SurveyQuestion.objects.create(
            survey=survey,
            kind=kind,
            text_zh_hans=zh,
            text_en=en,
            required=required,
            position=position,
        )
        if kind in ("single", "multiple"):
            for n, (czh, cen) in enumerate(
                [("转账", "Transfers"), ("缴费", "Bills"), ("理财", "Savings")]
            ):
                SurveyChoice.objects.create(
                    question=question, text_zh_hans=czh, text_en=cen, position=n
                )
    return survey


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
