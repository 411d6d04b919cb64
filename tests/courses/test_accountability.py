"""The verantwoording page: what an accreditation committee checks, nothing invented."""

import pytest

from courses.models import CourseRole, Lesson
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_shows_roles_sources_version_and_how_the_test_was_built(client, course):
    author = factories.make_user(first_name="Aafke", last_name="Schrijver")
    reviewer = factories.make_user(first_name="Ruud", last_name="Lezer")
    CourseRole.objects.create(course=course, user=author, role=CourseRole.Role.AUTHOR)
    CourseRole.objects.create(course=course, user=reviewer, role=CourseRole.Role.REVIEWER)
    lesson = Lesson.objects.filter(module__version=course.published_version).first()
    Lesson.objects.filter(pk=lesson.pk).update(
        sources=[{"title": "NHG-Standaard", "publisher": "NHG", "year": 2024, "url": ""}]
    )
    html = client.get(f"/cursus/{course.slug}/verantwoording/").content.decode()
    assert "Aafke Schrijver – auteur" in html and "Ruud Lezer – reviewer" in html
    assert "NHG-Standaard" in html
    assert "versie 1" in html
    assert "Hoe de eindtoets is opgebouwd" in html and "Geslaagd vanaf" in html
    # Nothing recorded, nothing claimed.
    assert "co-creatie" not in html.lower()
    assert "nog geen belangenverklaring vastgelegd" in html
    course_page = client.get(f"/cursus/{course.slug}/").content.decode()
    assert f"/cursus/{course.slug}/verantwoording/" in course_page


def test_it_shows_partners_and_the_statement_only_when_recorded(client, course):
    from courses.models import CourseVersion

    CourseVersion.objects.filter(pk=course.published_version_id).update(
        partners=["Voorbeeldpartner (test)"],
        conflict_of_interest="De auteurs hebben geen belangen.",
    )
    html = client.get(f"/cursus/{course.slug}/verantwoording/").content.decode()
    assert "Gemaakt in samenwerking met" in html and "Voorbeeldpartner (test)" in html
    assert "De auteurs hebben geen belangen." in html
