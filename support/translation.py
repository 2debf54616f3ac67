"""Translated fields of the knowledge base (django-modeltranslation): a column per language."""

from modeltranslation.translator import TranslationOptions, register

from .models_classes import TrainingClass
from .models_kb import Article, KbCategory, Notice, TutorialStep
from .models_surveys import Survey, SurveyChoice, SurveyQuestion


@register(KbCategory)
class KbCategoryTranslation(TranslationOptions):
    fields = ("name",)
    required_languages = ("zh-hans",)


@register(Article)
class ArticleTranslation(TranslationOptions):
    fields = ("title", "summary", "body")
    required_languages = {"zh-hans": ("title",)}


@register(TutorialStep)
class TutorialStepTranslation(TranslationOptions):
    fields = ("title", "body", "image_alt")
    required_languages = {"zh-hans": ("title",)}


@register(Notice)
class NoticeTranslation(TranslationOptions):
    fields = ("title", "body")
    required_languages = ("zh-hans",)


@register(Survey)
class SurveyTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"zh-hans": ("title",), "en": ("title",)}


@register(SurveyQuestion)
class SurveyQuestionTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("zh-hans",)


@register(SurveyChoice)
class SurveyChoiceTranslation(TranslationOptions):
    fields = ("text",)
    required_languages = ("zh-hans",)


@register(TrainingClass)
class TrainingClassTranslation(TranslationOptions):
    fields = ("title", "description")
    required_languages = {"zh-hans": ("title",)}
