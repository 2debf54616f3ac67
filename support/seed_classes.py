"""Demo classes and feedback (seed_demo): upcoming classes at the demo branches and online,
some registrations, a past class with its attendance marked, and a few pieces of feedback.

Idempotent: a demo class is found by its Chinese title and place, a registration by its class
and customer, a feedback by its customer and text. Upcoming registrations go through the
service (class_register) and the past attendance through attendance_mark; the past class and its
registrations are written directly (nobody can register for a class that has already happened),
as is the feedback (the per-minute rate limit is for customers, not for a seed).
"""

from datetime import timedelta

from django.utils import timezone

from . import classes
from .models_classes import ClassRegistration, TrainingClass
from .models_feedback import Feedback

# (zh title, en title, zh description, en description, mode, where: branch code or None,
#  room, language, days from now, hour, capacity)
DEMO_CLASSES = [
    (
        "老年人安全使用数字钱包",
        "Using your wallet safely — for seniors",
        "手把手教您付款、转账和识别诈骗电话。欢迎子女陪同。",
        "Step by step: paying, transferring and spotting scam calls. Family members welcome.",
        TrainingClass.Mode.BRANCH,
        "SH001",
        "二楼客户活动室",
        TrainingClass.Language.CHINESE,
        1,
        10,
        12,
    ),
    (
        "数字钱包入门：充值、付款与账单",
        "Getting started: top up, pay and bills",
        "适合刚开通钱包的客户，带上手机即可。",
        "For customers new to the wallet: bring your phone.",
        TrainingClass.Mode.BRANCH,
        "BJ001",
        "一楼大堂",
        TrainingClass.Language.CHINESE,
        5,
        14,
        15,
    ),
    (
        "在线课堂：如何防范网络诈骗",
        "Online class: protecting yourself from online fraud",
        "常见诈骗手法、银行绝不会向您索要的信息，以及遇到可疑情况怎么办。",
        "Common scams, what the bank never asks you for, and what to do when in doubt.",
        TrainingClass.Mode.ONLINE,
        None,
        "",
        TrainingClass.Language.CHINESE,
        3,
        19,
        100,
    ),
    (
        "线上英文课堂：数字钱包入门",
        "Online class: the wallet in English",
        "面向外籍客户的英文课程：开通、充值、付款与换汇。",
        "For international customers: activation, top-ups, payments and currency exchange.",
        TrainingClass.Mode.ONLINE,
        None,
        "",
        TrainingClass.Language.ENGLISH,
        8,
        18,
        50,
    ),
]
PAST_CLASS = (
    "老年人安全使用数字钱包（上期）",
    "Using your wallet safely — for seniors (last session)",
    "上期课程。",
    "The previous session.",
    TrainingClass.Mode.BRANCH,
    "SH001",
    "二楼客户活动室",
    TrainingClass.Language.CHINESE,
    -14,
    10,
    12,
)
DEMO_JOIN_URL = "https://meeting.example.com/wallet-class"

DEMO_FEEDBACK = [
    (Feedback.Kind.SUGGESTION, "希望转账页面能保存常用收款人。", 4, "/wallet/transfer/"),
    (Feedback.Kind.PROBLEM, "账单页面在我的手机上字太小了。", 3, "/wallet/bills/"),
    (Feedback.Kind.PRAISE, "课程很有帮助，老师讲得很耐心！", 5, "/classes/"),
]


def _class_ensure(spec, branches) -> TrainingClass:
    zh, en, zh_desc, en_desc, mode, code, room, language, days, hour, capacity = spec
    branch = branches.get(code) if code else None
    found = TrainingClass.objects.filter(title_zh_hans=zh, mode=mode, branch=branch).first()
    if found:
        return found
    day = timezone.localtime() + timedelta(days=days)
    starts = day.replace(hour=hour, minute=0, second=0, microsecond=0)
    return TrainingClass.objects.create(
        title_zh_hans=zh,
        title_en=en,
        description_zh_hans=zh_desc,
        description_en=en_desc,
        mode=mode,
        branch=branch,
        address=room,
        join_url=DEMO_JOIN_URL if mode == TrainingClass.Mode.ONLINE else "",
        language=language,
        starts_at=starts,
        ends_at=starts + timedelta(hours=1, minutes=30),
        capacity=capacity,
    )


def demo_classes_ensure(*, branches: dict, customers: list, teller) -> list[TrainingClass]:
    """`branches`: code → Branch; `customers`: the demo customers; `teller`: of SH001."""
    upcoming = [_class_ensure(spec, branches) for spec in DEMO_CLASSES]
    # The first two customers registered for the seniors' class and the online one.
    for training_class in (upcoming[0], upcoming[2]):
        if training_class.starts_at <= timezone.now():
            continue
        for customer in customers[:2]:
            if not ClassRegistration.objects.filter(
                training_class=training_class, customer=customer
            ).exists():
                classes.class_register(customer=customer, class_id=training_class.pk)
    past = _class_ensure(PAST_CLASS, branches)
    for customer in customers:
        ClassRegistration.objects.get_or_create(
            training_class=past,
            customer=customer,
            defaults={"registered_at": past.starts_at - timedelta(days=7)},
        )
    if past.registrations.filter(attended__isnull=True).exists():
        classes.attendance_mark(
            training_class=past,
            attended_ids={r.pk for r in past.registrations.order_by("pk")[:2]},
            staff=teller,
        )
    return [*upcoming, past]


def demo_feedback_ensure(*, customers: list) -> None:
    for customer, (kind, text, rating, page) in zip(customers, DEMO_FEEDBACK, strict=False):
        if not Feedback.objects.filter(customer=customer, text=text).exists():
            Feedback.objects.create(
                customer=customer, kind=kind, text=text, rating=rating, page=page
            )
