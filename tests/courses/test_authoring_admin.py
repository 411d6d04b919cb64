"""The admin follows the author area's rules: drafts only, every change recorded."""

import pytest
from django.urls import reverse

from courses import publishing
from courses.models import ChangeRecord, Lesson
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(factories.make_user(is_staff=True, is_superuser=True))
    return client


def test_it_shows_every_block_kind_of_a_lesson_in_one_polymorphic_inline(
    admin_client, course, author
):
    draft = publishing.create_draft(course, author)
    lesson = Lesson.objects.get(module__version=draft, key="les-1")
    factories.add_every_block_kind(lesson, start=1)
    response = admin_client.get(reverse("admin:courses_lesson_change", args=[lesson.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    for label in ("rich text block", "persona story block", "scenario block", "quiz block"):
        assert label in page.lower()
    quiz = draft.final_test
    assert admin_client.get(reverse("admin:courses_quiz_change", args=[quiz.pk])).status_code == 200


def test_it_keeps_published_content_read_only_in_the_admin(admin_client, course):
    lesson = Lesson.objects.get(module__version=course.published_version, key="les-1")
    url = reverse("admin:courses_lesson_change", args=[lesson.pk])
    response = admin_client.post(
        url,
        {
            "title": "Gewijzigd",
            "key": "les-1",
            "position": 0,
            "module": lesson.module_id,
            "estimated_minutes": 10,
        },
    )
    assert response.status_code == 403
    lesson.refresh_from_db()
    assert lesson.title == "Les 1"


def test_it_records_admin_changes_to_a_draft(admin_client, course, author):
    draft = publishing.create_draft(course, author)
    url = reverse("admin:courses_courseversion_change", args=[draft.pk])
    data = {
        "course": course.pk,
        "title": "Nieuwe titel",
        "summary": "",
        "description": "",
        "language": "nl",
        "study_load_hours": "2",
        "accreditation_reference": "",
        "audience": "",
        "learning_objectives": "[]",
        "modules-TOTAL_FORMS": "1",
        "modules-INITIAL_FORMS": "1",
        "modules-MIN_NUM_FORMS": "0",
        "modules-MAX_NUM_FORMS": "1000",
        "modules-0-id": draft.modules.get().pk,
        "modules-0-version": draft.pk,
        "modules-0-position": "0",
        "modules-0-key": "m1",
        "modules-0-title": "Module 1",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = ChangeRecord.objects.get(action="update", version=draft, changes__has_key="title")
    assert record.changes["title"] == ["Testcursus", "Nieuwe titel"]
