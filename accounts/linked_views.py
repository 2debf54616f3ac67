"""Pages for the customer's linked bank accounts and cards."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.api_errors import ApplicationError, form_errors_from

from . import linking
from .bank import bank_connector
from .bank.sandbox import sandbox_card_number
from .linked_forms import LinkAccountForm, MicroDepositsForm
from .models import LinkedAccount
from .selectors import linked_accounts_of


def _own(request, pk) -> LinkedAccount:
    return get_object_or_404(linked_accounts_of(request.user), pk=pk)


@login_required
def linked_accounts(request):
    accounts = linked_accounts_of(request.user)
    return render(request, "account/linked_accounts.html", {"accounts": accounts})


def _grouped(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@login_required
def linked_account_add(request):
    form = LinkAccountForm(
        request.POST if request.method == "POST" else None,
        initial={"holder_name": request.user.full_name},
    )
    if request.method == "POST" and form.is_valid():
        try:
            account = linking.linked_account_create(user=request.user, **form.cleaned_data)
        except ApplicationError as error:
            form_errors_from(form, error)
        else:
            messages.success(
                request,
                _("Linked. Your bank is sending two small deposits: enter them to verify."),
            )
            return redirect("accounts:linked_account_verify", pk=account.pk)
    return render(
        request,
        "account/linked_account_add.html",
        {
            "form": form,
            "sandbox": bank_connector().is_sandbox,
            "example_number": _grouped(sandbox_card_number()),
        },
    )


@login_required
def linked_account_verify(request, pk: int):
    account = _own(request, pk)
    form = MicroDepositsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            linking.linked_account_verify(
                user=request.user, account_id=account.pk, **form.cleaned_data
            )
        except ApplicationError as error:
            form_errors_from(form, error)
            account.refresh_from_db()
        else:
            messages.success(request, _("Verified. You can now top up from it."))
            return redirect("accounts:linked_accounts")
    connector = bank_connector()
    statement = connector.statement(token=account.token) if connector.is_sandbox else []
    return render(
        request,
        "account/linked_account_verify.html",
        {"account": account, "form": form, "sandbox_statement": statement},
    )


@login_required
@require_POST
def linked_account_default(request, pk: int):
    try:
        linking.linked_account_set_default(user=request.user, account_id=_own(request, pk).pk)
    except ApplicationError as error:
        messages.error(request, str(error.detail))
    else:
        messages.success(request, _("This is now your default funding source."))
    return redirect("accounts:linked_accounts")


@login_required
def linked_account_remove(request, pk: int):
    account = _own(request, pk)
    if request.method == "POST":
        try:
            linking.linked_account_remove(user=request.user, account_id=account.pk)
        except ApplicationError as error:
            messages.error(request, str(error.detail))
        else:
            messages.success(request, _("Removed."))
        return redirect("accounts:linked_accounts")
    return render(request, "account/linked_account_remove.html", {"account": account})
