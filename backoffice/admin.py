from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    ApprovalRequest,
    AuditEvent,
    Branch,
    BreakGlassGrant,
    Course,
    CourseAttempt,
    CustomerBranch,
    Lesson,
    QuizChoice,
    QuizQuestion,
    StaffProfile,
)


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "address")
    search_fields = ("code", "name")


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("employee_number", "user", "branch")
    list_select_related = ("user", "branch")
    search_fields = ("employee_number", "user__email")
    autocomplete_fields = ("user",)


@admin.register(CustomerBranch)
class CustomerBranchAdmin(admin.ModelAdmin):
    list_display = ("user", "branch", "onboarded_by", "created_at")
    list_select_related = ("user", "branch", "onboarded_by")
    list_filter = ("branch",)
    raw_id_fields = ("user", "onboarded_by")


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read only: nobody adds, changes or deletes an event here."""

    list_display = ("created_at", "actor", "role", "action", "customer", "outcome")
    list_select_related = ("actor", "customer")
    list_filter = ("action", "outcome")
    search_fields = ("actor__email", "customer__email", "request_id")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- staff training (issue 8): courses with lessons and questions inline ---------------------
# Django has no nested inlines: a question's answers are edited on the question's own page
# (the "change" link on each question row).


class LessonInline(admin.StackedInline):
    model = Lesson
    extra = 0
    fields = ("position", "title", "title_en", "body", "body_en")


class QuizQuestionInline(admin.TabularInline):
    model = QuizQuestion
    extra = 0
    fields = ("position", "text", "text_en")
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("title", "title_en", "published_at", "due_days", "due_date", "is_active")
    list_filter = ("is_active", "audience")
    filter_horizontal = ("audience",)
    inlines = [LessonInline, QuizQuestionInline]


class QuizChoiceFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        right = sum(
            1
            for form in self.forms
            if form.cleaned_data.get("is_correct") and not form.cleaned_data.get("DELETE")
        )
        if right != 1:
            raise forms.ValidationError(_("Mark exactly one answer as the right one."))


class QuizChoiceInline(admin.TabularInline):
    model = QuizChoice
    formset = QuizChoiceFormSet
    extra = 0
    fields = ("text", "text_en", "is_correct")


@admin.register(QuizQuestion)
class QuizQuestionAdmin(admin.ModelAdmin):
    list_display = ("text", "course", "position")
    list_filter = ("course",)
    inlines = [QuizChoiceInline]


@admin.register(CourseAttempt)
class CourseAttemptAdmin(admin.ModelAdmin):
    list_display = ("staff", "course", "score", "passed", "completed_at")
    list_filter = ("course", "passed")
    readonly_fields = ("staff", "course", "score", "passed", "completed_at")

    def has_add_permission(self, request):
        return False  # attempts come from the quiz, scored on the server


@admin.register(BreakGlassGrant)
class BreakGlassGrantAdmin(admin.ModelAdmin):
    list_display = ("staff", "customer", "created_at", "expires_at", "reviewed_at")
    readonly_fields = [f.name for f in BreakGlassGrant._meta.fields]

    def has_add_permission(self, request):
        return False  # granted and reviewed in the staff portal, where it is audited


@admin.register(ApprovalRequest)
class ApprovalRequestAdmin(admin.ModelAdmin):
    """Four-eyes requests, read only: they are decided in the staff portal, by its services."""

    list_display = ("pk", "action", "status", "customer", "requested_by", "requested_at")
    list_select_related = ("customer", "requested_by")
    list_filter = ("action", "status")
    search_fields = ("customer__email", "requested_by__email", "subject")
    date_hierarchy = "requested_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
