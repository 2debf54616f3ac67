"""The customer's chat pages: start a chat (or, when it is closed, the ticket form, the hotline
and a callback request), the chat itself, sending, ending and the poll.

Why polling: Django Channels (websockets) is not in the stack, and a chat needs only "new
messages within two seconds". chat.js asks the poll endpoint every second for the messages
after the last id it has; each poll is a fixed handful of indexed queries, served by the same
WSGI workers as every page.

Only the customer's own chats: another's reference answers 404, like one that does not exist.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import chat as chat_services
from .forms_chat import CallbackForm, ChatMessageForm, ChatStartForm
from .models_chat import Chat

RECENT_CHATS = 10


def wants_json(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def json_refusal(error: ApplicationError) -> JsonResponse:
    return JsonResponse(
        {
            "detail": str(error.detail),
            "code": getattr(error.detail, "code", "invalid"),
            "errors": error.fields,
        },
        status=error.status_code,
    )


def _home_context(request, *, start_form=None, callback_form=None) -> dict:
    return {
        "open_now": chat_services.chat_open_now(),
        "within_hours": chat_services.within_service_hours(),
        "hours": chat_services.service_hours().label,
        "hotline": settings.SUPPORT_HOTLINE,
        "start_form": start_form or ChatStartForm(),
        "callback_form": callback_form or CallbackForm(),
        "chats": chat_services.chats_of(request.user)[:RECENT_CHATS],
        "callbacks": chat_services.callbacks_of(request.user).filter(state="pending")[:5],
        "profile_phone": bool(request.user.phone),
    }


@login_required
@require_GET
def chat_home(request):
    current = chat_services.open_chat_of(request.user)
    if current is not None:
        return redirect("chat:chat", reference=current.reference)
    return render(request, "support/chat_home.html", _home_context(request))


@login_required
@require_POST
def chat_start(request):
    form = ChatStartForm(request.POST)
    if form.is_valid():
        try:
            chat = chat_services.chat_start(
                customer=request.user, message=form.cleaned_data["message"]
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            return redirect("chat:chat", reference=chat.reference)
    return render(
        request, "support/chat_home.html", _home_context(request, start_form=form), status=400
    )


@login_required
@require_POST
def callback_new(request):
    form = CallbackForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            chat_services.callback_request(
                customer=request.user,
                scheduled_for=data["scheduled_for"],
                phone=data["phone"],
                topic=data["topic"],
            )
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request, _("Your callback is booked. The confirmation is in your messages.")
            )
            return redirect("chat:home")
    return render(
        request, "support/chat_home.html", _home_context(request, callback_form=form), status=400
    )


def _own_chat(request, reference: str) -> Chat:
    chat = chat_services.chat_of_customer_or_none(customer=request.user, reference=reference)
    if chat is None:
        raise Http404
    return chat


def message_json(message, *, viewer) -> dict:
    """A message for chat.js: the text as text (the script never inserts it as HTML)."""
    if message.system:
        author = _("Notice from the bank")
    elif message.from_staff:
        author = _("Agent %(name)s") % {
            "name": (message.author.full_name if message.author else "") or _("of the bank")
        }
    else:
        author = _("Customer") if viewer != "customer" else _("You")
    return {
        "id": message.pk,
        "mine": not message.system and (viewer == "customer") != message.from_staff,
        "author": author,
        "body": message.body,
        "at": message.created_at.isoformat(),
    }


def poll_json(chat: Chat, after: int, *, viewer: str, ticket_url: str = "") -> JsonResponse:
    lines = chat_services.messages_after(chat, after)
    return JsonResponse(
        {
            "state": chat.state,
            "state_label": chat.get_state_display(),
            "messages": [message_json(m, viewer=viewer) for m in lines],
            "ticket_url": ticket_url,
        },
        headers={"Cache-Control": "no-store"},
        json_dumps_params={"ensure_ascii": False},
    )


def _after(request) -> int:
    try:
        return max(int(request.GET.get("after", 0)), 0)
    except (TypeError, ValueError):
        return 0


def _customer_ticket_url(chat: Chat) -> str:
    return reverse("support:ticket", args=[chat.ticket.reference]) if chat.ticket_id else ""


@login_required
@require_GET
def chat_detail(request, reference: str):
    chat = _own_chat(request, reference)
    return render(
        request,
        "support/chat.html",
        {
            "chat": chat,
            "lines": [
                message_json(m, viewer="customer") for m in chat_services.messages_after(chat)
            ],
            "form": ChatMessageForm(),
            "may_write": chat.state != Chat.State.ENDED,
            "hotline": settings.SUPPORT_HOTLINE,
        },
    )


@login_required
@require_GET
def chat_messages(request, reference: str):
    chat = _own_chat(request, reference)
    return poll_json(
        chat, _after(request), viewer="customer", ticket_url=_customer_ticket_url(chat)
    )


@login_required
@require_POST
def chat_send(request, reference: str):
    chat = _own_chat(request, reference)
    form = ChatMessageForm(request.POST)
    try:
        if not form.is_valid():
            raise ApplicationError(
                _("Write a message."), fields={"body": [str(e) for e in form.errors["body"]]}
            )
        message = chat_services.chat_message_by_customer(
            chat=chat, customer=request.user, body=form.cleaned_data["body"]
        )
    except ApplicationError as error:
        if wants_json(request):
            return json_refusal(error)
        messages.error(request, str(error.detail))
    else:
        if wants_json(request):
            return JsonResponse(message_json(message, viewer="customer"), status=201)
    return redirect("chat:chat", reference=reference)


@login_required
@require_http_methods(["POST"])
def chat_end(request, reference: str):
    chat = _own_chat(request, reference)
    try:
        chat = chat_services.chat_end(chat=chat, actor=request.user, as_customer=True)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request,
            _("The chat has ended. Its transcript is kept in ticket %(reference)s.")
            % {"reference": chat.ticket.reference}
            if chat.ticket_id
            else _("The chat has ended."),
        )
    return redirect("chat:chat", reference=reference)
