"""The support agents' pages: the ticket queue and a ticket's page, where they take or assign,
reply, write internal notes, use canned replies, escalate and move the ticket on.

Agents reach a customer only through a ticket: the page shows the customer's masked name, and
opening it is recorded in the audit trail as a view of that customer for the ticket. Risk
officers may read suspected-fraud tickets (they are alerted to them) but not work the queue.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.masking import email_masked, name_masked
from config.api_errors import ApplicationError
from support import tickets
from support.forms_tickets import (
    ASSIGNEE_ME,
    ASSIGNEE_NONE,
    AgentReplyForm,
    AgentStateForm,
    AssignForm,
    EscalateForm,
    QueueFilterForm,
)
from support.models_sla import SlaClock
from support.models_tickets import Ticket, TicketEvent, TicketMessage

from .models import AuditEvent
from .roles import RISK_OFFICER
from .selectors import staff_roles
from .services import audit_record
from .views import staff_required

QUEUE_PAGE_SIZE = 50


def _require_agent(user) -> None:
    if not tickets.is_support_staff(user):
        raise PermissionDenied


def _may_read(user, ticket: Ticket) -> bool:
    if tickets.is_support_staff(user):
        return True
    return ticket.category == Ticket.Category.FRAUD and RISK_OFFICER in staff_roles(user)


@staff_required
def support_queue(request):
    _require_agent(request.user)
    agents = list(tickets.support_staff())
    form = QueueFilterForm(request.GET or None, agents=agents)
    filters = form.cleaned_data if form.is_valid() else {}
    assignee = filters.get("assignee") or ""
    queue = tickets.agent_queue(
        sla_status=filters.get("sla") or "",
        state=filters.get("state") or None,
        category=filters.get("category") or None,
        priority=filters.get("priority"),
        unassigned=assignee == ASSIGNEE_NONE,
        assignee=(
            request.user
            if assignee == ASSIGNEE_ME
            else next((a for a in agents if str(a.pk) == assignee), None)
        ),
    )
    if filters.get("escalated"):
        queue = queue.filter(escalated_at__isnull=False)
    page = Paginator(queue, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    for ticket in page.object_list:
        ticket.customer_masked = name_masked(ticket.customer.full_name) or email_masked(
            ticket.customer.email
        )
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    return render(
        request, "backoffice/support_queue.html", {"form": form, "page": page, "query": query}
    )


def _ticket_for_staff(request, reference: str) -> Ticket:
    ticket = (
        Ticket.objects.select_related("customer", "assignee", "transaction")
        .prefetch_related(
            Prefetch(
                "messages",
                queryset=TicketMessage.objects.select_related("author")
                .prefetch_related("attachments")
                .order_by("created_at", "pk"),
            ),
            Prefetch("sla_clocks", queryset=SlaClock.objects.order_by("started_at", "pk")),
            Prefetch(
                "events",
                queryset=TicketEvent.objects.select_related("actor").order_by("created_at", "pk"),
            ),
        )
        .filter(reference=reference)
        .first()
    )
    if ticket is None or not _may_read(request.user, ticket):
        raise Http404
    return ticket


@staff_required
def support_ticket(request, reference: str):
    ticket = _ticket_for_staff(request, reference)
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.CUSTOMER_VIEW,
        customer=ticket.customer,
        reason=f"ticket {ticket.reference}",
        detail={"ticket": ticket.reference},
        request=request,
    )
    return render(request, "backoffice/support_ticket.html", _ticket_context(request, ticket))


def _ticket_context(request, ticket, **forms) -> dict:
    agent = tickets.is_support_staff(request.user)
    agents = tickets.support_staff()
    return {
        "ticket": ticket,
        "customer_masked": name_masked(ticket.customer.full_name),
        "customer_email_masked": email_masked(ticket.customer.email),
        "is_agent": agent,
        "reply_form": forms.get("reply_form")
        or AgentReplyForm(canned_replies=tickets.canned_replies()),
        "assign_form": forms.get("assign_form")
        or AssignForm(agents=agents, initial={"assignee": ticket.assignee_id or request.user.pk}),
        "escalate_form": forms.get("escalate_form") or EscalateForm(),
        "state_form": AgentStateForm(initial={"state": ticket.state}),
        "may_write": ticket.state in tickets.STAFF_MAY_WRITE,
    }


def _audited(request, ticket: Ticket, action: str, work, **detail):
    """Do an agent's action on a ticket and record it in the audit trail in the same
    transaction; a refused action is recorded as refused (and changes nothing)."""
    detail = {"ticket": ticket.reference, **detail}
    try:
        with transaction.atomic():
            result = work()
            audit_record(
                actor=request.user,
                action=action,
                customer=ticket.customer,
                reason=f"ticket {ticket.reference}",
                detail=detail,
                request=request,
            )
    except ApplicationError as error:
        audit_record(
            actor=request.user,
            action=action,
            customer=ticket.customer,
            reason=f"ticket {ticket.reference}",
            detail={**detail, "refused": str(error.detail)[:200]},
            request=request,
            outcome=AuditEvent.Outcome.REFUSED,
        )
        raise
    return result


def _back(reference):
    return redirect("backoffice:support_ticket", reference=reference)


def _agent_ticket(request, reference) -> Ticket:
    _require_agent(request.user)
    ticket = Ticket.objects.select_related("customer").filter(reference=reference).first()
    if ticket is None:
        raise Http404
    return ticket


@staff_required
@require_POST
def support_ticket_reply(request, reference: str):
    ticket = _agent_ticket(request, reference)
    form = AgentReplyForm(request.POST, request.FILES, canned_replies=tickets.canned_replies())
    if form.is_valid():
        data = form.cleaned_data
        try:
            _audited(
                request,
                ticket,
                AuditEvent.Action.TICKET_NOTE
                if data["internal"]
                else AuditEvent.Action.TICKET_REPLY,
                lambda: tickets.ticket_reply_by_agent(
                    ticket=ticket,
                    agent=request.user,
                    body=data["body"],
                    internal=data["internal"],
                    then=data["then"],
                    files=data["files"],
                ),
                then=data["then"],
                attachments=len(data["files"]),
            )
        except ApplicationError as error:
            from config.api_errors import form_errors_from

            form_errors_from(form, error)
        else:
            messages.success(
                request, _("Note saved.") if data["internal"] else _("Reply sent to the customer.")
            )
            return _back(reference)
    ticket = _ticket_for_staff(request, reference)
    return render(
        request,
        "backoffice/support_ticket.html",
        _ticket_context(request, ticket, reply_form=form),
        status=400,
    )


@staff_required
@require_POST
def support_ticket_assign(request, reference: str):
    ticket = _agent_ticket(request, reference)
    if "take" in request.POST:
        assignee = request.user
    else:
        form = AssignForm(request.POST, agents=tickets.support_staff())
        if not form.is_valid():
            messages.error(request, _("Choose a support agent."))
            return _back(reference)
        assignee = form.cleaned_data["assignee"]
    try:
        _audited(
            request,
            ticket,
            AuditEvent.Action.TICKET_ASSIGN,
            lambda: tickets.ticket_assign(ticket=ticket, assignee=assignee, actor=request.user),
            assignee=assignee.pk,
            took=assignee == request.user,
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(
            request,
            _("Assigned to %(name)s.") % {"name": assignee.get_full_name() or assignee.email},
        )
    return _back(reference)


@staff_required
@require_POST
def support_ticket_escalate(request, reference: str):
    ticket = _agent_ticket(request, reference)
    form = EscalateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why you escalate the ticket."))
        return _back(reference)
    try:
        _audited(
            request,
            ticket,
            AuditEvent.Action.TICKET_ESCALATE,
            lambda: tickets.ticket_escalate(
                ticket=ticket, actor=request.user, reason=form.cleaned_data["reason"]
            ),
            why=form.cleaned_data["reason"][:200],
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("Escalated to the support leads."))
    return _back(reference)


@staff_required
@require_POST
def support_ticket_state(request, reference: str):
    ticket = _agent_ticket(request, reference)
    form = AgentStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a state."))
        return _back(reference)
    try:
        _audited(
            request,
            ticket,
            AuditEvent.Action.TICKET_STATE,
            lambda: tickets.ticket_transition(
                ticket=ticket,
                to_state=form.cleaned_data["state"],
                actor=request.user,
                as_customer=False,
            ),
            from_state=ticket.state,
            to_state=form.cleaned_data["state"],
        )
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("The ticket is updated."))
    return _back(reference)


@staff_required
def support_attachment(request, pk: int):
    """An attachment, to staff who may read its ticket; a download, audited as a view of the
    customer's data."""
    from support.models_tickets import TicketAttachment
    from support.views_tickets import attachment_response

    attachment = (
        TicketAttachment.objects.select_related("message__ticket__customer").filter(pk=pk).first()
    )
    if attachment is None or not _may_read(request.user, attachment.message.ticket):
        raise Http404
    ticket = attachment.message.ticket
    audit_record(
        actor=request.user,
        action=AuditEvent.Action.TICKET_ATTACHMENT_DOWNLOAD,
        customer=ticket.customer,
        reason=f"ticket {ticket.reference}",
        detail={"ticket": ticket.reference, "attachment": attachment.pk},
        request=request,
    )
    return attachment_response(attachment)
