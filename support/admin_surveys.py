"""Django admin for surveys: campaign admins build surveys (bilingual title and questions, open
and close times, ordering, required flags) and read the CSAT and NPS answers. Answers and
responses are read-only: they are the customers'."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationTabularInline

from .models_surveys import (
    Survey,
    SurveyAnswer,
    SurveyChoice,
    SurveyInvitation,
    SurveyQuestion,
    SurveyResponse,
)


class SurveyQuestionInline(TranslationTabularInline):
    model = SurveyQuestion
    extra = 1
    fields = ("position", "kind", "text", "required")
    show_change_link = True  # the choices of a choice question are edited on its own page


@admin.register(Survey)
class SurveyAdmin(TranslationAdmin):
    list_display = ("title", "opens_at", "closes_at", "response_count")
    search_fields = ("title_zh_hans", "title_en")
    fields = ("title", "description", "opens_at", "closes_at")
    inlines = [SurveyQuestionInline]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(response_total=Count("responses"))

    @admin.display(description=_("responses"), ordering="response_total")
    def response_count(self, obj):
        return obj.response_total


class SurveyChoiceInline(TranslationTabularInline):
    model = SurveyChoice
    extra = 2
    fields = ("position", "text")


@admin.register(SurveyQuestion)
class SurveyQuestionAdmin(TranslationAdmin):
    list_display = ("text", "survey", "kind", "required", "position")
    list_filter = ("kind", "survey")
    list_select_related = ("survey",)
    fields = ("survey", "position", "kind", "text", "required")
    inlines = [SurveyChoiceInline]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "score", "channel")
    list_filter = ("kind", "channel", "score")
    fields = ("kind", "score", "comment", "channel", "created_at")


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "expires_at", "answered_at")
    list_filter = ("kind",)
    fields = ("kind", "ticket", "created_at", "expires_at", "answered_at")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "survey", "channel")
    list_filter = ("survey", "channel")
    list_select_related = ("survey",)
    fields = ("survey", "channel", "created_at")
