"""The customer's ticket pages: their tickets, opening one (also from a payment), a ticket's
thread with their reply, reopening and closing. Only the customer's own tickets: another's
reference answers 404, like one that does not exist."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import tickets
from .forms_tickets import CustomerReplyForm, TicketCreateForm, TicketStateForm
from .models_tickets import Ticket

PAGE_SIZE = 20


@login_required
def ticket_list(request):
    page = Paginator(tickets.tickets_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "support/tickets.html", {"page": page})


def _own_transaction(request, raw) -> int | None:
    from wallet.models import Entry

    try:
        pk = int(raw)
    except (TypeError, ValueError):
        return None
    mine = Entry.objects.filter(transaction_id=pk, account__wallet__user=request.user).exists()
    return pk if mine else None


@login_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    if request.method == "POST":
        form = TicketCreateForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = tickets.ticket_create(
                    customer=request.user,
                    category=data["category"],
                    subject=data["subject"],
                    message=data["message"],
                    transaction_id=data.get("transaction"),
                    freeze_wallet=data["freeze_wallet"],
                    files=data["files"],
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(
                    request,
                    _("Ticket %(reference)s is open. We will answer here and in your messages.")
                    % {"reference": ticket.reference},
                )
                return redirect("support:ticket", reference=ticket.reference)
    else:
        transaction_id = _own_transaction(request, request.GET.get("transaction"))
        initial = {"category": request.GET.get("category", "")}
        if transaction_id:
            initial.update(
                category=Ticket.Category.PAYMENT,
                transaction=transaction_id,
                subject=_("Problem with payment %(pk)s") % {"pk": transaction_id},
            )
        form = TicketCreateForm(initial=initial)
    return render(request, "support/ticket_new.html", {"form": form})


def _ticket_context(request, ticket, reply_form=None) -> dict:
    return {
        "ticket": ticket,
        "thread": tickets.customer_visible_messages(ticket),
        "reply_form": reply_form or CustomerReplyForm(),
        "may_write": ticket.state in tickets.CUSTOMER_MAY_WRITE,
        "may_reopen": tickets.transition_allowed(ticket, Ticket.State.OPEN, who=tickets.CUSTOMER),
        "may_close": tickets.transition_allowed(ticket, Ticket.State.CLOSED, who=tickets.CUSTOMER),
        "reopen_days": tickets.REOPEN_DAYS,
    }


def _own_ticket(request, reference: str) -> Ticket:
    ticket = tickets.ticket_of_customer_or_none(customer=request.user, reference=reference)
    if ticket is None:
        raise Http404
    return ticket


@login_required
@require_http_methods(["GET", "POST"])
def ticket_detail(request, reference: str):
    ticket = _own_ticket(request, reference)
    form = None
    if request.method == "POST":
        form = CustomerReplyForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                tickets.ticket_reply_by_customer(
                    ticket=ticket,
                    customer=request.user,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["files"],
                )
            except ApplicationError as error:
                form_errors_from(form, error)
            else:
                messages.success(request, _("Your reply is sent."))
                return redirect("support:ticket", reference=reference)
        ticket.refresh_from_db()
    return render(request, "support/ticket.html", _ticket_context(request, ticket, form))


@login_required
@require_POST
def ticket_state(request, reference: str):
    ticket = _own_ticket(request, reference)
    form = TicketStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose what to do with the ticket."))
        return redirect("support:ticket", reference=reference)
    try:
        tickets.ticket_transition(
            ticket=ticket, to_state=form.cleaned_data["state"], actor=request.user, as_customer=True
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The ticket is updated."))
    return redirect("support:ticket", reference=reference)


def attachment_response(attachment) -> FileResponse:
    """A download, never shown inline: the browser must not render or sniff it as a page."""
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "no-store, private"
    return response


@login_required
def attachment_download(request, pk: int):
    attachment = tickets.attachment_for_customer_or_none(customer=request.user, pk=pk)
    if attachment is None:
        raise Http404
    return attachment_response(attachment)
