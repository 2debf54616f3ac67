"""Django admin for the knowledge base: campaign admins write articles and tutorials in both
languages side by side; the search index is rebuilt after each save (with its steps)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from . import kb, notices
from .models_kb import (
    Article,
    ArticleVote,
    KbCategory,
    Notice,
    SelfHelpOutcome,
    TutorialStep,
)


@admin.register(KbCategory)
class KbCategoryAdmin(TranslationAdmin):
    list_display = ("name", "slug", "position")
    prepopulated_fields = {"slug": ("name_en",)}


class TutorialStepInline(TranslationStackedInline):
    model = TutorialStep
    extra = 0
    fields = ("number", "title", "body", "image_path", "image_alt")


@admin.register(Article)
class ArticleAdmin(TranslationAdmin):
    list_display = (
        "title",
        "kind",
        "category",
        "status",
        "helpful_count",
        "unhelpful_count",
        "solved_count",
        "updated_at",
    )
    list_filter = ("status", "kind", "category")
    search_fields = ("title_zh_hans", "title_en", "slug")
    list_select_related = ("category",)
    prepopulated_fields = {"slug": ("title_en",)}
    readonly_fields = ("helpful_count", "unhelpful_count", "solved_count")
    fields = (
        "kind",
        "category",
        "slug",
        "status",
        "position",
        "title",
        "summary",
        "body",
        "video_path",
        "captions_path",
        "helpful_count",
        "unhelpful_count",
        "solved_count",
    )
    inlines = (TutorialStepInline,)
    actions = ("publish", "unpublish")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        kb.article_index_rebuild(article=form.instance)

    @admin.action(description=_("Publish the selected articles"))
    def publish(self, request, queryset):
        queryset.update(status=Article.Status.PUBLISHED)

    @admin.action(description=_("Return the selected articles to draft"))
    def unpublish(self, request, queryset):
        queryset.update(status=Article.Status.DRAFT)


@admin.register(ArticleVote)
class ArticleVoteAdmin(admin.ModelAdmin):
    list_display = ("article", "helpful", "created_at")
    list_filter = ("helpful",)
    list_select_related = ("article",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SelfHelpOutcome)
class SelfHelpOutcomeAdmin(admin.ModelAdmin):
    """Each self-help flow's end; the changelist heads with the deflection rate."""

    list_display = ("created_at", "outcome", "article", "query")
    list_filter = ("outcome",)
    list_select_related = ("article",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        figures = kb.deflection_figures()
        if figures["rate"] is None:
            title = _("Self-help outcomes: none yet")
        else:
            title = (
                _(
                    "Deflection rate %(rate)s%%: %(solved)s solved by an article, %(escalated)s still needed help"
                )
                % figures
            )
        return super().changelist_view(request, {**(extra_context or {}), "title": title})


@admin.register(Notice)
class NoticeAdmin(TranslationAdmin):
    """Risk officers and campaign admins write a notice as a draft, then publish it: the banner
    appears at once and every customer's inbox gets it, in batches (support.notices)."""

    list_display = ("title", "kind", "status", "published_at", "expires_at", "fanout_finished_at")
    list_filter = ("status", "kind")
    fields = ("kind", "title", "body", "expires_at")
    actions = ("publish",)

    def has_delete_permission(self, request, obj=None):
        return False  # a notice sent to customers stays on record; let it expire instead

    def get_readonly_fields(self, request, obj=None):
        # What customers were sent stays as sent; setting "show until" withdraws the banner.
        if obj is not None and obj.status == Notice.Status.PUBLISHED:
            return ("kind", "title_zh_hans", "title_en", "body_zh_hans", "body_en")
        return ()

    @admin.action(description=_("Publish and send to every customer's inbox"))
    def publish(self, request, queryset):
        for notice in queryset:
            notices.notice_publish(notice=notice, acting_user=request.user)
        self.message_user(request, _("Published. Customers' inboxes are filled in batches."))
