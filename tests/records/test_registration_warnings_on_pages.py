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
