from django.urls import path

from . import views_chat

app_name = "chat"

urlpatterns = [
    path("", views_chat.chat_home, name="home"),
    path("start/", views_chat.chat_start, name="start"),
    path("callback/", views_chat.callback_new, name="callback"),
    path("<str:reference>/", views_chat.chat_detail, name="chat"),
    path("<str:reference>/messages/", views_chat.chat_messages, name="messages"),
    path("<str:reference>/send/", views_chat.chat_send, name="send"),
    path("<str:reference>/end/", views_chat.chat_end, name="end"),
]
