"""Demo training: four courses in Chinese and English, and some staff progress (idempotent)."""

from datetime import timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User

from .models import Course, CourseAttempt, Lesson, QuizChoice, QuizQuestion
from .roles import ALL_ROLES, BRANCH_MANAGER, SUPPORT_AGENT, SUPPORT_LEAD, TELLER

BRANCH_ROLES = (TELLER, BRANCH_MANAGER)
FRONT_LINE = (TELLER, BRANCH_MANAGER, SUPPORT_AGENT, SUPPORT_LEAD)

# (key, title zh/en, description zh/en, roles, due days, due date offset in days (past < 0),
#  lessons [(title zh, title en, body zh, body en)], questions [(zh, en, [(zh, en, right)])])
COURSES = [
    (
        "wallet-basics",
        ("向客户讲解数字钱包", "Explaining the wallet"),
        (
            "如何用简单的话讲清数字钱包是什么、能做什么。",
            "How to say in plain words what the wallet is and does.",
        ),
        FRONT_LINE,
        30,
        None,
        [
            (
                "钱包是什么",
                "What the wallet is",
                "数字钱包是银行账户旁的电子钱包：充值、转账、付款和收款都在手机上完成。钱包余额由银行记账，每一笔都有凭证。",
                "The digital wallet sits beside the bank account: top up, transfer, pay and receive on the phone. The bank keeps the ledger; every movement has a receipt.",
            ),
            (
                "额度与认证等级",
                "Limits and verification levels",
                "额度随认证等级提高：邮箱验证为 0 级，手机和证件为 1 级，网点当面核验为 2 级。",
                "Limits rise with the verification level: email is level 0, phone and ID level 1, checked in person at a branch level 2.",
            ),
        ],
        [
            (
                "哪一级认证需要到网点当面核验？",
                "Which level needs an in-person check at a branch?",
                [("0 级", "Level 0", False), ("1 级", "Level 1", False), ("2 级", "Level 2", True)],
            ),
            (
                "钱包余额由谁记账？",
                "Who keeps the wallet's ledger?",
                [
                    ("银行", "The bank", True),
                    ("客户自己", "The customer", False),
                    ("商户", "The merchant", False),
                ],
            ),
        ],
    ),
    (
        "security",
        ("钱包的安全措施", "The wallet's security measures"),
        (
            "双重验证、新设备提醒、冻结，以及员工如何保护客户数据。",
            "Second factor, new-device alerts, freezing, and how staff protect customers' data.",
        ),
        ALL_ROLES,
        None,
        -3,
        [
            (
                "双重验证",
                "The second factor",
                "大额转账需要再次验证（动态码或通行密钥）。员工登录同样需要第二因素。绝不向客户索要验证码。",
                "Large transfers need a fresh verification (a one-time code or a passkey). Staff log in with a second factor too. Never ask a customer for their code.",
            ),
            (
                "查看客户数据",
                "Looking at customers' data",
                "客户资料默认遮盖显示。只在需要时显示单个字段，每次显示都会记入审计记录。",
                "Customer data is shown masked. Reveal one field only when needed; every reveal is recorded in the audit trail.",
            ),
        ],
        [
            (
                "客户的动态验证码可以告诉员工吗？",
                "May a customer tell staff their one-time code?",
                [
                    ("可以", "Yes", False),
                    ("绝不可以", "Never", True),
                    ("只在网点可以", "Only at a branch", False),
                ],
            ),
            (
                "显示被遮盖的字段会怎样？",
                "What happens when you reveal a masked field?",
                [
                    ("不会留下记录", "Nothing is recorded", False),
                    ("记入审计记录", "It is recorded in the audit trail", True),
                ],
            ),
        ],
    ),
    (
        "older-customers",
        ("帮助老年客户", "Helping older customers"),
        ("耐心、清楚、防诈骗。", "Patience, clarity, fraud awareness."),
        BRANCH_ROLES,
        60,
        None,
        [
            (
                "慢一点，说清楚",
                "Slow down, say it clearly",
                "一次只讲一步，请客户自己在手机上操作，确认理解后再继续。",
                "One step at a time; let the customer do it on their own phone; check they follow before going on.",
            ),
            (
                "识别诈骗",
                "Spotting fraud",
                "客户急于给“亲人”或“公检法”转账时，先停下来核实。",
                "When a customer hurries to send money to a 'relative' or the 'police', stop and check first.",
            ),
        ],
        [
            (
                "老年客户急着给自称警察的人转账，应该怎么做？",
                "An older customer hurries to pay someone claiming to be the police. What do you do?",
                [
                    ("马上办理", "Process it at once", False),
                    ("先停下来核实", "Stop and check first", True),
                ],
            ),
        ],
    ),
    (
        "promotion-skills",
        ("推广技巧", "Promotion skills"),
        (
            "如何介绍开通奖励和推荐活动，不夸大、不强迫。",
            "How to present the activation bonus and referrals, without overselling.",
        ),
        BRANCH_ROLES,
        45,
        None,
        [
            (
                "介绍开通奖励",
                "Presenting the activation bonus",
                "说明奖励的条件和期限，只向同意接收营销信息的客户推送活动。",
                "State the bonus's conditions and deadline; only customers who agreed to marketing receive campaign messages.",
            ),
        ],
        [
            (
                "可以向谁发送营销信息？",
                "Who may receive campaign messages?",
                [
                    ("所有客户", "Every customer", False),
                    ("同意接收的客户", "Customers who agreed", True),
                ],
            ),
            (
                "介绍奖励时应说明什么？",
                "What do you state when presenting a bonus?",
                [
                    ("条件和期限", "Its conditions and deadline", True),
                    ("什么都不用说", "Nothing", False),
                ],
            ),
        ],
    ),
]


@transaction.atomic
def demo_training_ensure() -> list[Course]:
    """The four demo courses (once, by Chinese title) and their lessons and questions."""
    now = timezone.now()
    groups = {g.name: g for g in Group.objects.filter(name__in=ALL_ROLES)}
    courses = []
    for _key, titles, descriptions, roles, due_days, due_offset, lessons, questions in COURSES:
        course = Course.objects.filter(title=titles[0]).first()
        if course is None:
            course = Course.objects.create(
                title=titles[0],
                title_en=titles[1],
                description=descriptions[0],
                description_en=descriptions[1],
                published_at=now - timedelta(days=30),
                due_days=due_days,
                due_date=(now + timedelta(days=due_offset)).date() if due_offset else None,
            )
            course.audience.set([groups[r] for r in roles if r in groups])
            for position, (title, title_en, body, body_en) in enumerate(lessons, start=1):
                Lesson.objects.create(
                    course=course,
                    position=position,
                    title=title,
                    title_en=title_en,
                    body=body,
                    body_en=body_en,
                )
            for position, (text, text_en, choices) in enumerate(questions, start=1):
                question = QuizQuestion.objects.create(
                    course=course, position=position, text=text, text_en=text_en
                )
                for choice, choice_en, right in choices:
                    QuizChoice.objects.create(
                        question=question, text=choice, text_en=choice_en, is_correct=right
                    )
        courses.append(course)
    return courses


def demo_training_progress_ensure(*, courses: list[Course], teller: User, manager: User) -> None:
    """The teller passed the first course and failed the security one (now overdue: their
    manager's home page shows it); the manager passed the security course."""
    if CourseAttempt.objects.filter(staff__in=[teller, manager]).exists():
        return
    basics, security = courses[0], courses[1]
    CourseAttempt.objects.create(staff=teller, course=basics, score=100, passed=True)
    CourseAttempt.objects.create(staff=teller, course=security, score=50, passed=False)
    CourseAttempt.objects.create(staff=manager, course=security, score=100, passed=True)
