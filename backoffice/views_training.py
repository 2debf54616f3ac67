"""Staff training pages: my courses, one course (lessons then quiz), my team's progress."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import training
from .forms_training import QuizForm
from .views import staff_required


@staff_required
def training_list(request):
    return render(
        request,
        "backoffice/training/list.html",
        {
            "statuses": training.training_statuses(request.user),
            "pass_percent": training.pass_percent(),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def training_course(request, pk: int):
    course = training.course_for_taking(user=request.user, pk=pk)
    attempt = None
    if request.method == "POST":
        form = QuizForm(course, request.POST)
        if form.is_valid():
            attempt = training.training_attempt_submit(
                staff=request.user, course=course, answers=form.answers(), request=request
            )
            form = QuizForm(course)
    else:
        form = QuizForm(course)
    return render(
        request,
        "backoffice/training/course.html",
        {
            "course": course,
            "form": form,
            "attempt": attempt,
            "pass_percent": training.pass_percent(),
        },
    )


@staff_required
def training_team(request):
    if not training.can_see_team_training(request.user):
        raise PermissionDenied
    return render(
        request, "backoffice/training/team.html", {"rows": training.team_training(request.user)}
    )
