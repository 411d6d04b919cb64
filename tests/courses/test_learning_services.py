from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from courses import services
from courses.models import Answer, CourseCompletion, Lesson, LessonProgress, QuizAttempt
from tests import factories
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db


def finish_lessons(enrollment):
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)


def test_it_completes_the_course_after_lessons_and_a_passed_final_test(learner, course):
    enrollment = services.enroll_learner(learner, course)
    finish_lessons(enrollment)
    assert not CourseCompletion.objects.exists()
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    result = services.submit_attempt(attempt.pk, correct_answers(quiz), learner)
    assert result.attempt.passed is True
    assert float(result.attempt.score) == 1.0
    completion = CourseCompletion.objects.get(enrollment=enrollment)
    assert completion.version == enrollment.version
    assert completion.passed


def test_it_fails_below_the_pass_mark_and_does_not_complete(learner, course):
    enrollment = services.enroll_learner(learner, course)
    finish_lessons(enrollment)
    quiz = enrollment.version.final_test
    data = correct_answers(quiz)
    first_two = list(quiz.questions.all())[:2]
    for q in first_two:  # two of three wrong: 33 %
        data[f"q-{q.pk}"] = str(q.options.get(position=1).pk)
    result = services.submit_attempt(services.start_attempt(enrollment, quiz).pk, data, learner)
    assert result.attempt.passed is False
    assert result.attempt.score_percent == 33
    assert not CourseCompletion.objects.exists()


def test_it_scores_a_double_submit_once(learner, course):
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    first = services.submit_attempt(attempt.pk, correct_answers(quiz), learner)
    second = services.submit_attempt(attempt.pk, {}, learner)
    assert first.newly_submitted and not second.newly_submitted
    assert second.attempt.score == first.attempt.score
    assert Answer.objects.filter(attempt=attempt).count() == 3
    assert QuizAttempt.objects.filter(submitted_at__isnull=False).count() == 1


def test_it_refuses_another_learners_attempt(learner, outsider, course):
    enrollment = services.enroll_learner(learner, course)
    attempt = services.start_attempt(enrollment, enrollment.version.final_test)
    with pytest.raises(PermissionDenied):
        services.submit_attempt(attempt.pk, {}, outsider)


def test_it_enforces_max_attempts(learner):
    course = factories.make_course(max_attempts=1)
    enrollment = services.enroll_learner(learner, course)
    quiz = enrollment.version.final_test
    services.submit_attempt(services.start_attempt(enrollment, quiz).pk, {}, learner)
    with pytest.raises(PermissionDenied):
        services.start_attempt(enrollment, quiz)


def test_it_counts_time_once_across_two_tabs(learner, course):
    enrollment = services.enroll_learner(learner, course)
    lesson = Lesson.objects.filter(module__version=enrollment.version).first()
    t0 = timezone.now()
    services.start_lesson(enrollment, lesson)
    enrollment.refresh_from_db()
    base = enrollment.last_activity_at
    # Two tabs send heartbeats every 30 s, interleaved 15 s apart, for one minute.
    for offset in (15, 30, 45, 60):
        services.record_time(enrollment, lesson.key, base + timedelta(seconds=offset))
    # A heartbeat after a long pause is not counted.
    services.record_time(enrollment, lesson.key, base + timedelta(seconds=60 + 600))
    progress = LessonProgress.objects.get(enrollment=enrollment, lesson_key=lesson.key)
    assert progress.seconds_spent == 60
    assert t0 <= base


def test_it_enrols_once(learner, course):
    assert services.enroll_learner(learner, course) == services.enroll_learner(learner, course)
