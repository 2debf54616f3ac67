"""Demo live chat (seed_demo): a finished chat with its ticket, a callback due, and the demo
agent available, so the agent pages are not empty and a customer can start a chat at once.
Idempotent: the chat is found by its customer's ended chats, the callback by its topic."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from . import chat
from .models_chat import Callback, Chat, ChatMessage

DEMO_LINES = [
    (False, "你好，我刚才给朋友转账，页面一直显示处理中。"),
    (True, "您好，我是客服。请问转账金额和时间是？"),
    (False, "200 元，五分钟前。"),
    (True, "已查询到，这笔转账已经到账，页面刷新即可看到。"),
    (False, "好的，谢谢！"),
]
CALLBACK_TOPIC = "银行卡绑定失败，希望电话说明"


@transaction.atomic
def demo_finished_chat_ensure(*, customer, agent) -> Chat:
    existing = Chat.objects.filter(customer=customer, state=Chat.State.ENDED).first()
    if existing is not None:
        return existing
    started = timezone.now() - timedelta(days=1, hours=2)
    finished = Chat.objects.create(
        customer=customer,
        agent=agent,
        state=Chat.State.ACTIVE,
        created_at=started,
        picked_up_at=started + timedelta(minutes=1),
    )
    for i, (from_staff, body) in enumerate(DEMO_LINES):
        ChatMessage.objects.create(
            chat=finished,
            author=agent if from_staff else customer,
            from_staff=from_staff,
            body=body,
            created_at=started + timedelta(minutes=1 + i),
        )
    return chat.chat_end(chat=finished, actor=agent, as_customer=False, category="payment")


def demo_callback_ensure(*, customer) -> Callback:
    existing = Callback.objects.filter(customer=customer, topic=CALLBACK_TOPIC).first()
    if existing is not None:
        return existing
    hours = chat.service_hours()
    day = timezone.localdate(timezone.now(), hours.zone) + timedelta(days=1)
    at = datetime.combine(day, hours.opens, tzinfo=hours.zone) + timedelta(hours=2)
    if not hours.contains(at):
        at = datetime.combine(day, time(12, 0), tzinfo=hours.zone)
    return chat.callback_request(
        customer=customer, scheduled_for=at, phone=customer.phone or "", topic=CALLBACK_TOPIC
    )


def demo_chat_ensure(*, customers: list, agent) -> None:
    chat.agent_availability_set(agent=agent, available=True)
    demo_finished_chat_ensure(customer=customers[0], agent=agent)
    demo_callback_ensure(customer=customers[-1])
