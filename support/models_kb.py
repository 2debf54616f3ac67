"""The knowledge base: FAQ entries, illustrated tutorials and the security guide (issue 7).

Texts are translated by django-modeltranslation (support/translation.py): each translated field
has a column per language (`title_zh_hans`, `title_en`), and `title` reads the active language,
falling back to Simplified Chinese. Customers see published articles only. The search index
(`search_title`, `search_body`) is built by support.kb.article_index_rebuild whenever an article
or its steps are saved through the admin or a service.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class KbCategory(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ("position", "pk")
        verbose_name = _("help category")
        verbose_name_plural = _("help categories")

    def __str__(self):
        return self.name


class Article(models.Model):
    class Kind(models.TextChoices):
        FAQ = "faq", _("Question and answer")
        TUTORIAL = "tutorial", _("Illustrated tutorial")
        GUIDE = "guide", _("Security guide")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FAQ)
    category = models.ForeignKey(
        KbCategory, on_delete=models.PROTECT, related_name="articles", verbose_name=_("category")
    )
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(
        _("body"),
        blank=True,
        help_text=_("Plain text, or HTML (sanitised before it is shown: no scripts or styles)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Optional video of a tutorial, shipped under static/ (never a CDN), with a WebVTT captions track.
    video_path = models.CharField(
        _("video (path under static/)"), max_length=200, blank=True, help_text="video/kb/x.mp4"
    )
    captions_path = models.CharField(
        _("captions (path of a .vtt file under static/)"), max_length=200, blank=True
    )
    helpful_count = models.PositiveIntegerField(_("helpful votes"), default=0, editable=False)
    unhelpful_count = models.PositiveIntegerField(_("not helpful votes"), default=0, editable=False)
    solved_count = models.PositiveIntegerField(_("solved a problem"), default=0, editable=False)
    # Tokens of the title and of the rest, both languages, " tok1 tok2 " (spaces around each).
    search_title = models.TextField(default="", editable=False)
    search_body = models.TextField(default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("category__position", "position", "pk")
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        indexes = [models.Index(fields=("status", "kind"))]

    def __str__(self):
        return self.title


class TutorialStep(models.Model):
    article = models.ForeignKey(
        Article, on_delete=models.CASCADE, related_name="steps", verbose_name=_("article")
    )
    number = models.PositiveSmallIntegerField(_("step number"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # Images ship with the release under static/ (reviewed, hashed and served by whitenoise).
    image_path = models.CharField(
        _("image (path under static/)"), max_length=200, blank=True, help_text="img/kb/x.png"
    )
    image_alt = models.CharField(_("image description"), max_length=200, blank=True)

    class Meta:
        ordering = ("article", "number")
        verbose_name = _("tutorial step")
        verbose_name_plural = _("tutorial steps")
        constraints = [
            models.UniqueConstraint(fields=("article", "number"), name="kb_step_number_unique")
        ]

    def __str__(self):
        return f"{self.number}. {self.title}"


class ArticleVote(models.Model):
    """ "Was this helpful?": one per customer per article, one per session for visitors."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE
    )
    session_key = models.CharField(max_length=40, blank=True)
    helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.UniqueConstraint(
                fields=("article", "user"),
                condition=Q(user__isnull=False),
                name="kb_vote_one_per_user",
            ),
            models.UniqueConstraint(
                fields=("article", "session_key"),
                condition=Q(user__isnull=True),
                name="kb_vote_one_per_session",
            ),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(session_key=""),
                name="kb_vote_has_voter",
            ),
        ]

    def __str__(self):
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class SelfHelpOutcome(models.Model):
    """How a self-help flow ended: solved by an article (deflected) or went on to ask us."""

    class Outcome(models.TextChoices):
        SOLVED = "solved", _("Solved by an article")
        ESCALATED = "escalated", _("Still needed help")

    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    article = models.ForeignKey(
        Article,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outcomes",
        verbose_name=_("article"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    query = models.CharField(_("question"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("self-help outcome")
        verbose_name_plural = _("self-help outcomes")

    def __str__(self):
        return self.get_outcome_display()


class TourProgress(models.Model):
    """A customer has finished (or skipped) the first-run guided tour."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tour_progress"
    )
    finished_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("guided tour progress")
        verbose_name_plural = _("guided tour progress")

    def __str__(self):
        return str(self.user_id)


# --- Notices (风险提示) ------------------------------------------------------------------------


class Notice(models.Model):
    """A security or service notice: a banner on customer pages and a message in every inbox."""

    class Kind(models.TextChoices):
        SECURITY = "security", _("Security notice")
        SERVICE = "service", _("Service notice")

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SECURITY)
    title = models.CharField(_("title"), max_length=150)
    body = models.TextField(_("text"), max_length=1000)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    expires_at = models.DateTimeField(
        _("show until"), null=True, blank=True, help_text=_("Empty: until it is withdrawn.")
    )
    published_at = models.DateTimeField(_("published at"), null=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # Fan-out progress: inbox messages are added by customer id, in batches (support.notices).
    fanout_after_id = models.BigIntegerField(default=0, editable=False)
    fanout_finished_at = models.DateTimeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-published_at", "-pk")
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return self.title


class NoticeDismissal(models.Model):
    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="dismissals")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("notice", "user"), name="notice_dismissed_once")
        ]

    def __str__(self):
        return f"{self.notice_id}/{self.user_id}"
