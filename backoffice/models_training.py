"""Staff training: courses of ordered lessons and a quiz, and each staff member's attempts.

Text is kept twice, Chinese (the default language) and English, in sibling fields (`title` and
`title_en`...), edited side by side in the admin; `localized()` picks the one for the active
language and falls back to Chinese when the English is blank.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _


class Localized(models.Model):
    class Meta:
        abstract = True

    def localized(self, field: str) -> str:
        if (translation.get_language() or "").startswith("en"):
            english = getattr(self, f"{field}_en", "")
            if english:
                return english
        return getattr(self, field)

    # For templates, which cannot pass an argument.
    @property
    def localized_title(self) -> str:
        return self.localized("title")

    @property
    def localized_description(self) -> str:
        return self.localized("description")

    @property
    def localized_body(self) -> str:
        return self.localized("body")


class Course(Localized):
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    description = models.TextField(_("description (Chinese)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # Roles are groups (backoffice/roles.py): the course is for everyone holding one of them.
    audience = models.ManyToManyField(
        "auth.Group", verbose_name=_("audience roles"), related_name="training_courses"
    )
    # Assigned when published (or, for staff who joined later, when they joined).
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    due_days = models.PositiveSmallIntegerField(
        _("due within days of assignment"), null=True, blank=True
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, help_text=_("A fixed date; wins over the days.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("training course")
        verbose_name_plural = _("training courses")
        ordering = ["published_at", "pk"]

    def __str__(self):
        return self.title

    def due_for(self, user) -> datetime | None:
        """When `user` must have passed it: the fixed date, or N days after assignment."""
        if self.due_date:
            return datetime.combine(
                self.due_date, datetime.max.time(), timezone.get_current_timezone()
            )
        if self.due_days is None:
            return None
        assigned = max(self.published_at, user.date_joined)
        return assigned + timedelta(days=self.due_days)


class Lesson(Localized):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    title = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    body = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"), blank=True)

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        ordering = ["course", "position", "pk"]

    def __str__(self):
        return self.title


class QuizQuestion(Localized):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question (Chinese)"), max_length=300)
    text_en = models.CharField(_("question (English)"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("quiz question")
        verbose_name_plural = _("quiz questions")
        ordering = ["course", "position", "pk"]

    def __str__(self):
        return self.text


class QuizChoice(Localized):
    question = models.ForeignKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("answer (Chinese)"), max_length=300)
    text_en = models.CharField(_("answer (English)"), max_length=300, blank=True)
    is_correct = models.BooleanField(_("right answer"), default=False)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["question", "pk"]
        constraints = [
            # One right answer per question, kept by the database, not only by the admin form.
            models.UniqueConstraint(
                fields=["question"],
                condition=models.Q(is_correct=True),
                name="quiz_one_right_answer",
            ),
        ]

    def __str__(self):
        return self.text


class CourseAttempt(models.Model):
    """One time a staff member answered a course's quiz; a passed one completes the course."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="training_attempts",
        verbose_name=_("staff member"),
    )
    course = models.ForeignKey(
        Course, on_delete=models.PROTECT, related_name="attempts", verbose_name=_("course")
    )
    score = models.PositiveSmallIntegerField(_("score (%)"))
    passed = models.BooleanField(_("passed"))
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    class Meta:
        verbose_name = _("course attempt")
        verbose_name_plural = _("course attempts")
        ordering = ["-completed_at", "-pk"]
        indexes = [
            models.Index(fields=["staff", "course", "passed"], name="training_attempt_staff")
        ]

    def __str__(self):
        return f"{self.staff_id} {self.course_id} {self.score}%"
