"""Published and retired versions are immutable: one guard on every content row refuses
save() and delete(), whoever calls it (services, authoring views, the admin, the importer)."""

import pytest

from courses import publishing
from courses.models import (
    Block,
    CourseVersion,
    Lesson,
    Module,
    Option,
    PublishedContentError,
    Question,
    Quiz,
    RichTextBlock,
    ScenarioChoice,
    ScenarioStep,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(db):
    course = factories.make_course(slug="bevroren", lessons=1, publish=False)
    lesson = Lesson.objects.get(module__version__course=course)
    factories.add_every_block_kind(lesson, start=1)
    factories.publish_version(course.versions.get())
    return course


def every_row(version):
    return [
        Module.objects.filter(version=version).first(),
        Lesson.objects.filter(module__version=version).first(),
        Block.objects.filter(lesson__module__version=version).first(),
        ScenarioStep.objects.filter(scenario__lesson__module__version=version).first(),
        ScenarioChoice.objects.filter(step__scenario__lesson__module__version=version).first(),
        Quiz.objects.filter(version=version).first(),
        Question.objects.filter(quiz__version=version).first(),
        Option.objects.filter(question__quiz__version=version).first(),
    ]


@pytest.mark.parametrize("status", ["published", "retired"])
def test_it_refuses_to_change_or_delete_any_row_of_a_frozen_version(published, status):
    version = published.versions.get()
    CourseVersion.objects.filter(pk=version.pk).update(status=status)
    rows = every_row(version)
    assert all(rows), rows
    for row in rows:
        with pytest.raises(PublishedContentError):
            row.save()
        with pytest.raises(PublishedContentError):
            row.delete()
    assert [type(r)._base_manager.filter(pk=r.pk).exists() for r in rows] == [True] * len(rows)


def test_it_refuses_to_add_a_row_to_a_published_version(published):
    version = published.versions.get()
    module = Module.objects.get(version=version)
    lesson = Lesson.objects.get(module=module)
    with pytest.raises(PublishedContentError):
        Lesson.objects.create(module=module, key="nieuw", title="Nieuw", position=5)
    with pytest.raises(PublishedContentError):
        RichTextBlock.objects.create(lesson_id=lesson.pk, key="nieuw", position=99, html="<p>x</p>")
    with pytest.raises(PublishedContentError):
        Module.objects.create(version=version, key="m2", title="M2", position=5)
    # Nor can a row be moved out of a published version into a draft.
    draft_course = factories.make_course(slug="concept", lessons=1, publish=False)
    block = Block.objects.filter(lesson=lesson).first()
    block.lesson = Lesson.objects.get(module__version__course=draft_course)
    block.position = 50
    with pytest.raises(PublishedContentError):
        block.save()
    assert not Lesson.objects.filter(key="nieuw").exists()


def test_it_lets_authors_edit_the_draft_copy(published, author):
    draft = publishing.create_draft(published, author)
    lesson = Lesson.objects.get(module__version=draft)
    lesson.title = "Nieuwe titel"
    lesson.save()
    RichTextBlock.objects.create(lesson=lesson, key="extra", position=99, html="<p>Meer</p>")
    Option.objects.filter(question__quiz__version=draft).first().delete()
    published_lesson = Lesson.objects.get(module__version=published.published_version)
    assert published_lesson.title != "Nieuwe titel"


def test_it_refuses_an_admin_who_adds_a_lesson_to_a_published_module(rf, published):
    from django.contrib import admin

    admin_user = factories.make_user(email="beheer@example.org", is_staff=True, is_superuser=True)
    request = rf.post("/admin/courses/lesson/add/")
    request.user = admin_user
    form_class = admin.site._registry[Lesson].get_form(request)
    module = Module.objects.get(version=published.published_version)
    data = {"module": module.pk, "key": "via-admin", "title": "Via admin", "position": 7,
            "estimated_minutes": 5, "sources": "[]", "required": "on"}  # fmt: skip
    form = form_class(data)
    assert not form.is_valid()
    assert "gepubliceerde versie" in str(form.non_field_errors())
    draft_course = factories.make_course(slug="concept-admin", lessons=1, publish=False)
    data["module"] = Module.objects.get(version__course=draft_course).pk
    assert form_class(data).is_valid(), form_class(data).errors
