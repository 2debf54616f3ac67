"""Demo tickets (seed_demo): one in every state, worked by the demo support agent, and a few
canned replies. Idempotent: a customer's demo ticket is found by its subject."""

from django.db import transaction

from . import tickets
from .models_tickets import CannedReply, Ticket

CANNED = [
    ("问候与确认", "您好，感谢联系数字钱包客服。我们已收到您的问题，正在为您核实。"),
    ("请提供截图", "为便于核实，请上传相关页面的截图或交易凭证（照片或 PDF）。"),
    ("已解决", "您的问题已处理完毕。如仍有疑问，可在 7 天内重新打开此工单。"),
]

# (subject, category, message, the state to bring it to)
DEMO_TICKETS = [
    (
        "转账后对方未收到",
        Ticket.Category.PAYMENT,
        "昨天下午给朋友转账 200 元，对方说没有收到。",
        Ticket.State.OPEN,
    ),
    (
        "无法绑定银行卡",
        Ticket.Category.CARD,
        "绑定招商银行卡时一直提示验证失败。",
        Ticket.State.IN_PROGRESS,
    ),
    ("收不到短信验证码", Ticket.Category.ACCOUNT, "登录时收不到短信验证码。", Ticket.State.WAITING),
    (
        "建议增加夜间模式",
        Ticket.Category.SUGGESTION,
        "晚上使用时屏幕太亮，希望增加夜间模式。",
        Ticket.State.RESOLVED,
    ),
    ("账单查询", Ticket.Category.COMPLAINT, "月度账单中有一笔费用我不理解。", Ticket.State.CLOSED),
]


def demo_canned_replies_ensure() -> None:
    for title, body in CANNED:
        CannedReply.objects.get_or_create(title=title, defaults={"body": body})


@transaction.atomic
def _demo_ticket_ensure(*, customer, agent, subject, category, message, state) -> Ticket:
    existing = Ticket.objects.filter(customer=customer, subject=subject).first()
    if existing:
        return existing
    ticket = tickets.ticket_create(
        customer=customer, category=category, subject=subject, message=message
    )
    if state == Ticket.State.OPEN:
        return ticket
    tickets.ticket_assign(ticket=ticket, assignee=agent, actor=agent)
    if state == Ticket.State.IN_PROGRESS:
        tickets.ticket_reply_by_agent(ticket=ticket, agent=agent, body=CANNED[0][1])
        tickets.ticket_reply_by_agent(
            ticket=ticket, agent=agent, body="已联系发卡行核实。", internal=True
        )
    elif state == Ticket.State.WAITING:
        tickets.ticket_reply_by_agent(ticket=ticket, agent=agent, body=CANNED[1][1], then="waiting")
    else:
        tickets.ticket_reply_by_agent(
            ticket=ticket, agent=agent, body=CANNED[2][1], then="resolved"
        )
        if state == Ticket.State.CLOSED:
            tickets.ticket_transition(
                ticket=ticket, to_state=Ticket.State.CLOSED, actor=customer, as_customer=True
            )
    return ticket


def demo_tickets_ensure(*, customers: list, agent) -> list[Ticket]:
    """Tickets spread over the demo customers (fewer than the per-minute limit each)."""
    demo_canned_replies_ensure()
    made = []
    for i, (subject, category, message, state) in enumerate(DEMO_TICKETS):
        made.append(
            _demo_ticket_ensure(
                customer=customers[i % len(customers)],
                agent=agent,
                subject=subject,
                category=category,
                message=message,
                state=state,
            )
        )
    return made
