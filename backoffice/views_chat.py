"""The support agents' chat console and callbacks, under /backoffice/chat/ and
/backoffice/callbacks/ (/backoffice/support/<reference>/ belongs to tickets).

Agents mark themselves available, see waiting chats and pick one up (one agent per chat: see
support/chat.py), answer live (the same chat.js poll as the customer's page) and end the chat
with a ticket category. Each of those actions, opening a chat (a view of the customer's words)
and marking a callback done are written to the audit trail.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.masking import email_masked, name_masked
from config.api_errors import ApplicationError
from support import chat as chat_services
from support import tickets
from support.forms_chat import (
    AvailabilityForm,
    CallbackDoneForm,
    ChatEndByAgentForm,
    ChatMessageForm,
)
from support.models_chat import Callback, Chat
from support.views_chat import json_refusal, message_json, poll_json, wants_json

from .models import AuditEvent
from .services import audit_record
from .views import staff_required

CALLBACKS_SHOWN = 100


def _require_agent(user) -> None:
    if not tickets.is_support_staff(user):
        raise PermissionDenied


def _masked_customer(user) -> str:
    return name_masked(user.full_name) or email_masked(user.email)


def _chat(reference: str) -> Chat:
    chat = Chat.objects.select_related("customer", "agent", "ticket").filter(reference=reference)
    found = chat.first()
    if found is None:
        raise Http404
    return found


@staff_required
@require_GET
def chat_console(request):
    _require_agent(request.user)
    waiting = list(chat_services.waiting_chats()[:50])
    mine = list(chat_services.active_chats_of(request.user))
    ended = list(chat_services.recent_ended_chats())
    for chat in (*waiting, *mine, *ended):
        chat.customer_masked = _masked_customer(chat.customer)
    return render(
        request,
        "backoffice/chat_console.html",
        {
            "available": chat_services.agent_is_available(request.user),
            "waiting": waiting,
            "mine": mine,
            "ended": ended,
            "within_hours": chat_services.within_service_hours(),
            "hours": chat_services.service_hours().label,
        },
    )


@staff_required
@require_POST
def chat_availability(request):
    _require_agent(request.user)
    form = AvailabilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether you take chats."))
        return redirect("backoffice:chat_console")
    available = form.cleaned_data["available"]
    with transaction.atomic():
        chat_services.agent_availability_set(agent=request.user, available=available)
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.CHAT_AVAILABILITY,
            detail={"available": available},
            request=request,
        )
    messages.success(
        request,
        _("You take chats now.") if available else _("You no longer take new chats."),
    )
    return redirect("backoffice:chat_console")


@staff_required
@require_POST
def chat_pick_up(request, reference: str):
    _require_agent(request.user)
    chat = _chat(reference)
    try:
        with transaction.atomic():
            chat = chat_services.chat_pick_up(chat=chat, agent=request.user)
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.CHAT_PICK_UP,
                customer=chat.customer,
                reason=f"chat {chat.reference}",
                detail={"chat": chat.reference},
                request=request,
            )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
        return redirect("backoffice:chat_console")
    return redirect("backoffice:chat", reference=reference)


@staff_required
@require_GET
def chat_detail(request, reference: str):
    _require_agent(request.user)
    chat = _chat(reference)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer=chat.customer,
        reason=f"chat {chat.reference}",
        detail={"chat": chat.reference},
        request=request,
    )
    ticket_url = (
        reverse("backoffice:support_ticket", args=[chat.ticket.reference]) if chat.ticket_id else ""
    )
    return render(
        request,
        "backoffice/chat.html",
        {
            "chat": chat,
            "customer_masked": _masked_customer(chat.customer),
            "lines": [message_json(m, viewer="agent") for m in chat_services.messages_after(chat)],
            "form": ChatMessageForm(),
            "end_form": ChatEndByAgentForm(),
            "may_write": chat.state == Chat.State.ACTIVE and chat.agent_id == request.user.pk,
            "ticket_url": ticket_url,
        },
    )


@staff_required
@require_GET
def chat_messages(request, reference: str):
    _require_agent(request.user)
    chat = _chat(reference)
    try:
        after = max(int(request.GET.get("after", 0)), 0)
    except (TypeError, ValueError):
        after = 0
    ticket_url = (
        reverse("backoffice:support_ticket", args=[chat.ticket.reference]) if chat.ticket_id else ""
    )
    return poll_json(chat, after, viewer="agent", ticket_url=ticket_url)


@staff_required
@require_POST
def chat_send(request, reference: str):
    _require_agent(request.user)
    chat = _chat(reference)
    form = ChatMessageForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(
                _("Write a message."), fields={"body": [str(e) for e in form.errors["body"]]}
            )
        message = chat_services.chat_message_by_agent(
            chat=chat, agent=request.user, body=form.cleaned_data["body"]
        )
    except ApplicationError as error:
        if wants_json(request):
            return json_refusal(error)
        messages.error(request, str(error.detail))
    else:
        if wants_json(request):
            return JsonResponse(message_json(message, viewer="agent"), status=201)
    return redirect("backoffice:chat", reference=reference)


@staff_required
@require_POST
def chat_end(request, reference: str):
    _require_agent(request.user)
    chat = _chat(reference)
    form = ChatEndByAgentForm(request.POST)
    category = form.cleaned_data["category"] if form.is_valid() else ""
    if not category:
        messages.error(request, _("Choose a category."))
        return redirect("backoffice:chat", reference=reference)
    try:
        with transaction.atomic():
            chat = chat_services.chat_end(
                chat=chat, actor=request.user, as_customer=False, category=category
            )
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.CHAT_END,
                customer=chat.customer,
                reason=f"chat {chat.reference}",
                detail={
                    "chat": chat.reference,
                    "ticket": chat.ticket.reference if chat.ticket_id else None,
                },
                request=request,
            )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The chat has ended; its transcript is kept as a ticket."))
    return redirect("backoffice:chat", reference=reference)


@staff_required
@require_GET
def callbacks_due(request):
    _require_agent(request.user)
    due = list(chat_services.callbacks_due()[:CALLBACKS_SHOWN])
    for callback in due:
        callback.customer_masked = _masked_customer(callback.customer)
    # The agent must dial the numbers, so they are shown whole: one audit event records which
    # callbacks (and so which customers' numbers) this agent saw.
    if due:
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.CUSTOMER_VIEW,
            reason="callbacks due",
            detail={"callbacks": [callback.pk for callback in due]},
            request=request,
        )
    return render(
        request,
        "backoffice/callbacks.html",
        {"due": due, "form": CallbackDoneForm()},
    )


@staff_required
@require_POST
def callback_done(request, pk: int):
    _require_agent(request.user)
    callback = Callback.objects.select_related("customer").filter(pk=pk).first()
    if callback is None:
        raise Http404
    form = CallbackDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose how the call went."))
        return redirect("backoffice:callbacks")
    try:
        with transaction.atomic():
            chat_services.callback_complete(
                callback=callback,
                agent=request.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
            audit_record(
                actor=request.user,
                action=AuditEvent.Action.CALLBACK_DONE,
                customer=callback.customer,
                reason=f"callback {callback.pk}",
                detail={"callback": callback.pk, "outcome": form.cleaned_data["outcome"]},
                request=request,
            )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The callback is marked done."))
    return redirect("backoffice:callbacks")
