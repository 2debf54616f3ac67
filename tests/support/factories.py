import factory

from support import kb
from support.models_kb import Article, KbCategory, TutorialStep


class KbCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KbCategory
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name_zh_hans = factory.Sequence(lambda n: f"分类{n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published FAQ entry in both languages, indexed for search as the admin would."""

    class Meta:
        model = Article
        skip_postgeneration_save = True

    kind = Article.Kind.FAQ
    category = factory.SubFactory(KbCategoryFactory)
    slug = factory.Sequence(lambda n: f"article-{n}")
    title_zh_hans = factory.Sequence(lambda n: f"常见问题{n}")
    title_en = factory.Sequence(lambda n: f"Question {n}")
    body_zh_hans = "回答。"
    body_en = "An answer."
    status = Article.Status.PUBLISHED

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            kb.article_index_rebuild(article=self)


class TutorialFactory(ArticleFactory):
    kind = Article.Kind.TUTORIAL

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        if create:
            for number in (1, 2, 3):
                TutorialStep.objects.create(
                    article=self,
                    number=number,
                    title_zh_hans=f"第{number}步",
                    title_en=f"Step {number}",
                    image_path="img/logo.svg",
                    image_alt_en=f"Picture {number}",
                )
            kb.article_index_rebuild(article=self)
