"""Publishing moves learners after commit: a completion racing the sweep holds, with real threads
and row locks on PostgreSQL."""

import pytest
from django.db import connection

from courses import publishing, services
from courses.models import CourseCompletion, Enrollment, Lesson, Reflection, ReflectionBlock
from tests import factories
from tests.courses.test_completion_races import Browser, at_once
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db(transaction=True)

LEARNERS = 12


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (make test runs on it)")


@pytest.mark.parametrize("round_", range(3))
def test_it_keeps_one_completion_on_the_version_completed_when_submits_race_the_sweep(
    live_server, monkeypatch, round_
):
    course = factories.make_course(final_questions=2, lessons=2, publish=False)
    v1 = course.versions.get()
    lesson = Lesson.objects.get(module__version=v1, key="les-1")
    block = ReflectionBlock.objects.create(
        lesson=lesson, key="r", position=5, prompt="Wat neem je mee?"
    )
    factories.publish_version(v1)
    quiz = v1.final_test
    learners = []
    for _ in range(LEARNERS):
        user = factories.make_user()
        enrollment = services.enroll_learner(user, course)
        for each in Lesson.objects.filter(module__version=v1):
            services.complete_lesson(enrollment, each)
        services.save_reflection(user, block, "Mijn gedachte")
        # Everything done but the final test, started on v1 and handed in after the publish.
        learners.append((user, enrollment, services.start_attempt(enrollment, quiz)))
    author = factories.make_author(course)
    v2 = publishing.create_draft(course, author)
    queued = []  # the sweep task runs below, in a thread of its own, instead of eagerly at commit
    monkeypatch.setattr(publishing.move_enrollments_task, "delay", queued.append)
    result = publishing.publish_draft(v2, author)
    assert result.to_move == LEARNERS and queued == [course.pk]
    monkeypatch.setattr(publishing, "MOVE_CHUNK", 1)  # many short chunks interleave with submits

    def submit_over_http(user, attempt):
        path = f"/cursus/{course.slug}/toets/{quiz.key}/poging/{attempt.pk}/"
        return Browser(live_server, user).request("POST", path, correct_answers(quiz))[0]

    def submit_as_begun_before_publishing(user, attempt):
        # A request that read the enrolment before the publish: its submit locks the attempt and
        # the enrolment as the sweep may be moving it.
        return services.submit_attempt(attempt.pk, correct_answers(quiz), user).attempt.passed

    half = LEARNERS // 2
    sweep, *outcomes = at_once(
        lambda: publishing.move_enrollments(course.pk),
        *[lambda u=u, a=a: submit_over_http(u, a) for u, _e, a in learners[:half]],
        *[lambda u=u, a=a: submit_as_begun_before_publishing(u, a) for u, _e, a in learners[half:]],
    )

    assert outcomes == [302] * half + [True] * (LEARNERS - half)
    # Completed learners are never moved afterwards: nothing is left to move.
    assert publishing.move_enrollments(course.pk) == (0, 0)
    for _user, enrollment, _attempt in learners:
        enrollment.refresh_from_db()
        completion = CourseCompletion.objects.get(enrollment=enrollment)
        assert completion.version_id == enrollment.version_id in {v1.pk, v2.pk}
    moved = Enrollment.objects.filter(course=course, version=v2).count()
    assert sweep[0] <= moved
    # Each moved learner's reflection moved with them, once; the others' stayed.
    assert Reflection.objects.filter(block__lesson__module__version=v2).count() == moved
    assert Reflection.objects.filter(block=block).count() == LEARNERS - moved
