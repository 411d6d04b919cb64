"""The learner sees, on the course page and before the final test, what blocks registration."""

import datetime

import pytest
from django.urls import reverse

from accounts.models import RegisterNumber, User
from courses import services
from records.models import CourseAccreditation
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def accredited(db):
    course = factories.make_course(slug="geaccrediteerd")
    CourseAccreditation.objects.create(
        course=course,
        register=RegisterNumber.Register.BIG,
        pe_course_id="123456",
        points=2,
        study_load_hours=2,
        min_score=70,
        pe_org_id=1,
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2030, 12, 31),
    )
    return course


def test_it_warns_a_huisarts_without_a_big_number_before_the_final_test(client, accredited):
    learner = factories.make_user(profession=User.Profession.HUISARTS)
    enrollment = services.enroll_learner(learner, accredited)
    client.force_login(learner)
    for url in (
        reverse("courses:course_detail", args=[accredited.slug]),
        reverse("courses:quiz", args=[accredited.slug, enrollment.version.final_test.key]),
    ):
        page = client.get(url).content.decode()
        assert "registration-warnings" in page, url
        assert "BIG" in page


def test_it_does_not_warn_when_the_big_number_is_there(client, accredited):
    learner = factories.make_user(profession=User.Profession.HUISARTS)
    RegisterNumber.objects.create(
        user=learner, register=RegisterNumber.Register.BIG, number="12345678901"
    )
    services.enroll_learner(learner, accredited)
    client.force_login(learner)
    page = client.get(reverse("courses:course_detail", args=[accredited.slug])).content.decode()
    assert "registration-warnings" not in page


def test_it_warns_as_soon_as_a_course_is_accredited_and_stops_when_it_is_not(client):
    """The warnings read the course's accreditations from memory (courses.catalog_content): an
    accreditation added or deleted is on the next course page and final-test page."""
    course = factories.make_course(slug="later-geaccrediteerd")
    learner = factories.make_user(profession=User.Profession.HUISARTS)
    enrollment = services.enroll_learner(learner, course)
    client.force_login(learner)
    urls = (
        reverse("courses:course_detail", args=[course.slug]),
        reverse("courses:quiz", args=[course.slug, enrollment.version.final_test.key]),
    )
    for url in urls:
        assert "registration-warnings" not in client.get(url).content.decode(), url
    accreditation = factories.make_accreditation(course)
    for url in urls:
        page = client.get(url).content.decode()
        assert "registration-warnings" in page and "BIG" in page, url
        assert 'href="/accounts/profiel/"' in page
    accreditation.delete()
    for url in urls:
        assert "registration-warnings" not in client.get(url).content.decode(), url
