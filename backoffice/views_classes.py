"""Staff pages of classes and feedback (issue 7): the classes a staff member looks after and
their attendance sheets, attendance per branch (page and CSV), and customers' in-app feedback
for the support lead (list with filters, CSV). Each runs a fixed number of queries."""

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.masking import email_masked, name_masked
from config.api_errors import ApplicationError
from config.csv_export import csv_response, csv_safe
from support import classes, feedback
from support.forms_classes import AttendanceRangeForm, FeedbackFilterForm

from . import classes_staff
from .views import staff_required

PAGE_SIZE = 50
FEEDBACK_CSV_MAX_ROWS = 10_000


def _masked(user) -> str:
    return name_masked(user.full_name) or email_masked(user.email)


@staff_required
def class_list(request):
    queryset = classes.classes_for_staff(request.user)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "backoffice/classes.html",
        {
            "page": page,
            "can_report": classes_staff.can_read_attendance_report(request.user),
            "now": timezone.now(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def class_attendance(request, pk: int):
    training_class = classes.classes_for_staff(request.user).filter(pk=pk).first()
    if training_class is None:
        raise Http404
    if request.method == "POST":
        try:
            attended = {int(v) for v in request.POST.getlist("attended")}
        except ValueError:
            attended = None
        if attended is None:
            messages.error(request, _("Choose among the registered customers."))
        else:
            try:
                classes_staff.class_attendance_record(
                    staff=request.user,
                    training_class=training_class,
                    attended_ids=attended,
                    request=request,
                )
            except ApplicationError as error:
                messages.error(request, str(error.detail))
            else:
                messages.success(request, _("Attendance saved."))
                return redirect("backoffice:class_attendance", pk=pk)
    roster = list(classes.class_roster(training_class))
    for registration in roster:
        registration.customer_masked = _masked(registration.customer)
    return render(
        request,
        "backoffice/class_attendance.html",
        {
            "training_class": training_class,
            "roster": roster,
            "started": training_class.starts_at <= timezone.now(),
        },
    )


def _report_range(request):
    today = timezone.localdate()
    form = AttendanceRangeForm(
        request.GET or {"start": (today - timedelta(days=90)).isoformat(), "end": today.isoformat()}
    )
    if form.is_valid():
        return form, form.cleaned_data["start"], form.cleaned_data["end"]
    return form, None, None


@staff_required
def attendance_report(request):
    if not classes_staff.can_read_attendance_report(request.user):
        raise PermissionDenied
    form, start, end = _report_range(request)
    rows = classes.attendance_by_branch(start, end) if start else []
    return render(
        request,
        "backoffice/class_attendance_report.html",
        {"form": form, "rows": rows, "query": urlencode(request.GET)},
    )


@staff_required
def attendance_report_csv(request):
    if not classes_staff.can_read_attendance_report(request.user):
        raise PermissionDenied
    form, start, end = _report_range(request)
    if start is None:
        return redirect("backoffice:class_attendance_report")
    response, writer = csv_response(f"class-attendance-{start}-{end}.csv")
    writer.writerow(
        [
            _("Branch code"),
            _("Branch"),
            _("Classes"),
            _("Registered"),
            _("Marked"),
            _("Attended"),
            _("Attendance rate"),
        ]
    )
    for row in classes.attendance_by_branch(start, end):
        writer.writerow(
            [
                csv_safe(row["branch_code"] or _("Online")),
                csv_safe(row["branch_name"] or _("Online classes")),
                row["classes"],
                row["registered"],
                row["marked"],
                row["attended"],
                "" if row["attendance_rate"] is None else row["attendance_rate"],
            ]
        )
    return response


def _feedback_filtered(request):
    if not classes_staff.can_read_feedback(request.user):
        raise PermissionDenied
    form = FeedbackFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    queryset = feedback.feedback_for_staff(
        kind=filters.get("kind") or None,
        rating=filters.get("rating"),
        since=filters.get("since"),
        until=filters.get("until"),
        text=filters.get("text") or "",
    )
    return form, filters, queryset


@staff_required
def feedback_list(request):
    form, _filters, queryset = _feedback_filtered(request)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.customer_masked = _masked(item.customer)
    query = urlencode({k: v for k, v in request.GET.items() if k != "page"})
    return render(
        request, "backoffice/feedback_list.html", {"form": form, "page": page, "query": query}
    )


@staff_required
def feedback_csv(request):
    _form, filters, queryset = _feedback_filtered(request)
    items = list(queryset[:FEEDBACK_CSV_MAX_ROWS])
    classes_staff.feedback_export_record(
        staff=request.user, filters=filters, rows=len(items), request=request
    )
    response, writer = csv_response("feedback.csv")
    writer.writerow([_("When"), _("Kind"), _("Rating"), _("Page"), _("Customer"), _("Feedback")])
    for item in items:
        writer.writerow(
            [
                timezone.localtime(item.created_at).strftime("%Y-%m-%d %H:%M"),
                item.get_kind_display(),
                item.rating or "",
                csv_safe(item.page),
                csv_safe(_masked(item.customer)),
                csv_safe(item.text),
            ]
        )
    return response
