"""Chats and callbacks for tests, made through support/chat.py."""

from backoffice import roles
from support import chat
from support.models_chat import Chat
from tests.accounts.factories import UserFactory
from tests.backoffice.factories import staff


def available_agent(role: str = roles.SUPPORT_AGENT):
    agent = staff(role)
    chat.agent_availability_set(agent=agent, available=True)
    return agent


def waiting_chat(customer=None, message: str = "你好，我的转账没有到账") -> Chat:
    return chat.chat_start(customer=customer or UserFactory(), message=message)


def active_chat(agent, customer=None) -> Chat:
    return chat.chat_pick_up(chat=waiting_chat(customer), agent=agent)
