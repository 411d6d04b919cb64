"""`make run`'s demo learner has a lived-in dashboard, made through the real services."""

import pytest
from django.core.management import call_command

from courses.models import CourseCompletion, Enrollment, LearningTrack, TrackCourse
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_gives_the_demo_learner_one_completed_course_and_one_in_progress(client):
    first = factories.make_course(slug="eerste", lessons=3)
    second = factories.make_course(slug="tweede", lessons=4)
    factories.make_course(slug="derde")
    track = LearningTrack.objects.create(slug="lijn", title="Leerlijn")
    TrackCourse.objects.create(track=track, course=first, position=0)
    TrackCourse.objects.create(track=track, course=second, position=1)
    call_command("create_demo_accounts", stdout=open("/dev/null", "w"))
    call_command("create_demo_accounts", stdout=open("/dev/null", "w"))  # adds nothing

    enrollments = {
        e.course.slug: e for e in Enrollment.objects.filter(user__email="leerling@example.org")
    }
    assert set(enrollments) == {"eerste", "tweede"}
    assert enrollments["eerste"].completed_at is not None
    assert CourseCompletion.objects.filter(enrollment=enrollments["eerste"]).count() == 1
    assert enrollments["tweede"].completed_at is None
    assert enrollments["tweede"].last_lesson_key == "les-2"
    client.force_login(enrollments["eerste"].user)
    page = client.get("/dashboard/").content.decode()
    assert "Verder met: Les 2" in page and "Mijn certificaten" in page
