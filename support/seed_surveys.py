"""Demo surveys (seed_demo): six months of CSAT and NPS answers of the demo customers, over
every channel, with the NPS 90-day rule kept (two NPS answers per customer, about 90 days
apart), and an admin-built survey open now. Idempotent: nothing is added for customers who
already have answers, and the survey is found by its English title.

Answers are written through the ORM with their past dates: the services only ever write "now".
The CSAT answers belong to closed demo tickets made for them."""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models_surveys import (
    Channel,
    Survey,
    SurveyAnswer,
    SurveyChoice,
    SurveyInvitation,
    SurveyQuestion,
)
from .models_tickets import Ticket

MONTHS = 6
CSAT_PER_CUSTOMER = 5
SURVEY_TITLE_EN = "Your wallet experience"
CSAT_COMMENTS = ["", "", "客服很耐心", "处理得很快", "等了比较久", "问题解决了，谢谢"]
NPS_COMMENTS = ["", "", "转账很方便", "希望增加更多商户", "界面清楚", "验证码有时收不到"]
QUESTIONS = [
    (
        "rating",
        "您对数字钱包的整体体验打几分？",
        "How would you rate the wallet overall?",
        True,
        [],
    ),
    (
        "single",
        "您最常使用哪个功能？",
        "Which feature do you use most?",
        True,
        [
            ("转账", "Transfers"),
            ("扫码付款", "QR payments"),
            ("缴费", "Bills"),
            ("理财", "Savings"),
        ],
    ),
    (
        "multiple",
        "您希望我们改进哪些方面？",
        "What should we improve?",
        False,
        [("速度", "Speed"), ("字体大小", "Text size"), ("客服", "Support"), ("优惠活动", "Offers")],
    ),
    ("text", "还有什么想告诉我们的？", "Anything else you would like to tell us?", False, []),
]


def _answer(*, kind, customer, at, score, channel, comment, ticket=None) -> None:
    invitation = SurveyInvitation.objects.create(
        kind=kind,
        customer=customer,
        ticket=ticket,
        created_at=at - timedelta(hours=2),
        expires_at=at + timedelta(days=14),
        answered_at=at,
    )
    SurveyAnswer.objects.create(
        invitation=invitation,
        kind=kind,
        customer=customer,
        score=score,
        comment=comment,
        channel=channel,
        created_at=at,
    )


@transaction.atomic
def demo_survey_answers_ensure(*, customers) -> int:
    """Returns how many answers it added (0 on a second run)."""
    rng = random.Random(20261127)  # noqa: S311 - demo data, not a secret
    now = timezone.now()
    added = 0
    channels = [Channel.LINK, Channel.LINK, Channel.INBOX, Channel.APP]
    for customer in customers:
        if SurveyAnswer.objects.filter(customer=customer).exists():
            continue
        for _ in range(CSAT_PER_CUSTOMER):
            at = now - timedelta(days=rng.uniform(1, MONTHS * 30), hours=rng.uniform(0, 12))
            ticket = Ticket.objects.create(
                customer=customer,
                category=rng.choice(list(Ticket.Category.values)),
                subject="已解决的咨询",
                state=Ticket.State.CLOSED,
                created_at=at - timedelta(days=1),
                updated_at=at,
                resolved_at=at - timedelta(hours=3),
                closed_at=at,
            )
            _answer(
                kind="csat",
                customer=customer,
                ticket=ticket,
                at=at,
                score=rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 5, 6])[0],
                channel=rng.choice(channels),
                comment=rng.choice(CSAT_COMMENTS),
            )
            added += 1
        # NPS: at most once per 90 days, as the sampler keeps it.
        latest = rng.uniform(5, 70)
        for days_ago in (latest + rng.uniform(95, 110), latest):
            _answer(
                kind="nps",
                customer=customer,
                at=now - timedelta(days=days_ago),
                score=rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 2, 4, 6, 6, 5])[0],
                channel=rng.choice(channels),
                comment=rng.choice(NPS_COMMENTS),
            )
            added += 1
    return added


@transaction.atomic
def demo_survey_ensure() -> Survey:
    """An admin-built survey open now, with one question of each kind."""
    existing = Survey.objects.filter(title_en=SURVEY_TITLE_EN).first()
    if existing:
        return existing
    now = timezone.now()
    survey = Survey.objects.create(
        title_zh_hans="数字钱包使用体验调查",
        title_en=SURVEY_TITLE_EN,
        description_zh_hans="只需两分钟，帮助我们把钱包做得更好。",
        description_en="Two minutes that help us make the wallet better.",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=60),
    )
    for position, (kind, zh, en, required, choices) in enumerate(QUESTIONS):
        question = SurveyQuestion.objects.create(
            survey=survey,
            kind=kind,
            text_zh_hans=zh,
            text_en=en,
            required=required,
            position=position,
        )
        for n, (czh, cen) in enumerate(choices):
            SurveyChoice.objects.create(
                question=question, text_zh_hans=czh, text_en=cen, position=n
            )
    return survey
