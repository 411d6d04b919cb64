"""Learner e-mail through Celery after commit: enrolment confirmation and completion with the
certificate link; none for simulated learners."""

import pytest
from django.core import mail

from courses import services
from courses.models import CourseCompletion, Lesson
from courses.simulator import seed_activity
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_mails_the_enrolment_and_the_completion_with_the_certificate_links(settings):
    settings.SITE_URL = "http://127.0.0.1:8010"
    course = factories.make_course(slug="post", title="Cursus per post")
    learner = factories.make_user(email="post@example.org", first_name="Noor")
    enrollment = services.enroll_learner(learner, course)
    services.enroll_learner(learner, course)  # already enrolled: no second mail
    assert [m.subject for m in mail.outbox] == ["Ingeschreven: Cursus per post"]
    assert mail.outbox[0].to == ["post@example.org"]
    assert "Beste Noor," in mail.outbox[0].body
    assert "http://127.0.0.1:8010/cursus/post/" in mail.outbox[0].body

    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    services.submit_attempt(attempt.pk, correct_final_answers(quiz), learner)
    assert len(mail.outbox) == 2
    done = mail.outbox[1]
    assert done.subject == "Afgerond: Cursus per post – je certificaat"
    code = CourseCompletion.objects.get(enrollment=enrollment).verification_code
    assert "http://127.0.0.1:8010/cursus/post/certificaat.pdf" in done.body
    assert f"/certificaat/{code}/" in done.body


def test_it_sends_simulated_learners_no_mail():
    factories.make_course(slug="stil")
    report = seed_activity(3, seed=1)
    assert report.enrollments or sum(report.outcomes.values())
    assert mail.outbox == []
