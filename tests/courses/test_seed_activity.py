import random
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from courses import services, signals
from courses import simulator as activity
from courses.models import (
    Answer,
    Course,
    CourseCompletion,
    CourseVersion,
    Enrollment,
    LessonProgress,
    Quiz,
    QuizAttempt,
    Reflection,
    ScaleQuestion,
    ScenarioDecision,
)
from records.models import LearningRecordStore, XapiStatement
from tests import factories
from tests.records.registers_support import accredit

pytestmark = pytest.mark.django_db

# Pinned: queries (and savepoints) per additional simulated learner on the `courses` fixture
# (one-by-one through the services it was about 300, a third of them savepoints).
QUERIES_PER_LEARNER = 2
SAVEPOINTS_PER_LEARNER = 0


@pytest.fixture
def courses(db):
    """A plain course, and a rich one with every block kind and a pre/post self-assessment."""
    plain = factories.make_course(slug="a-basis", lessons=3)
    rich = factories.make_course(slug="b-rijk", publish=False, max_attempts=2)
    version = rich.versions.get()
    factories.add_every_block_kind(version.modules.get().lessons.first(), start=1)
    selfcheck = Quiz.objects.create(
        version=version, key="zelf", title="Zelfevaluatie", kind=Quiz.Kind.SELF_ASSESSMENT
    )
    for i in range(3):
        ScaleQuestion.objects.create(
            quiz=selfcheck, position=i, key=f"s{i}", prompt=f"<p>Stelling {i}</p>", tag="attitude"
        )
    factories.publish_version(version)
    factories.make_course(slug="c-concept", publish=False)  # never learned from
    return plain, rich


def summary(prefix, seed):
    """What each simulated learner did, keyed by learner number, without ids or timestamps."""
    out = {}
    for user in User.objects.filter(email__startswith=f"{prefix}-{seed}-").order_by("email"):
        number = user.email.split("-")[-1].split("@")[0]
        courses = {}
        for e in Enrollment.objects.filter(user=user).select_related("course"):
            courses[e.course.slug] = (
                hasattr(e, "completion"),
                sorted(
                    LessonProgress.objects.filter(
                        enrollment=e, completed_at__isnull=False
                    ).values_list("lesson_key", flat=True)
                ),
                sorted(
                    (a.quiz.key, a.phase, a.number, str(a.score))
                    for a in QuizAttempt.objects.filter(enrollment=e).select_related("quiz")
                ),
                ScenarioDecision.objects.filter(enrollment=e).count(),
            )
        out[number] = (
            user.first_name,
            user.last_name,
            user.profession,
            list(user.register_numbers.values_list("register", "number")),
            Reflection.objects.filter(user=user).count(),
            courses,
        )
    return out


def test_it_creates_learners_who_complete_fail_and_stop(courses):
    completed = []
    signals.course_completed.connect(
        lambda completion, **kw: completed.append(completion.pk),
        weak=False,
        dispatch_uid="test-seed",
    )
    try:
        report = activity.seed_activity(24, seed=3)
    finally:
        signals.course_completed.disconnect(dispatch_uid="test-seed")
    assert report.learners == User.objects.count() == 24
    assert report.enrollments == Enrollment.objects.count()
    assert not Enrollment.objects.filter(course__slug="c-concept").exists()
    assert all(report.outcomes[k] > 0 for k in ("complete", "fail", "stop")), report.outcomes
    # Completions came from the services (the signal fired for each), one per completing enrolment.
    assert sorted(completed) == sorted(CourseCompletion.objects.values_list("pk", flat=True))
    assert len(completed) == report.outcomes["complete"]

    failed = Enrollment.objects.filter(
        completion__isnull=True, attempts__quiz__kind="final"
    ).distinct()
    assert failed.exists()
    for enrollment in failed:
        assert not enrollment.attempts.filter(quiz__kind="final", passed=True).exists()
    lesson_counts = {"a-basis": 3, "b-rijk": 2}
    stopped = [
        e
        for e in Enrollment.objects.filter(completion__isnull=True).select_related("course")
        if e.lesson_progress.filter(completed_at__isnull=False).count()
        < lesson_counts[e.course.slug]
    ]
    assert stopped
    assert LessonProgress.objects.filter(seconds_spent__gt=0).exists()
    assert Reflection.objects.exists() and ScenarioDecision.objects.exists()


def seeded_queries(learners, seed):
    with CaptureQueriesContext(connection) as queries:
        report = activity.seed_activity(learners, seed=seed)
    assert report.learners == learners and report.enrollments >= learners
    savepoints = [q for q in queries if q["sql"].startswith("SAVEPOINT")]
    return len(queries), len(savepoints)


def test_its_queries_per_learner_are_bounded(courses):
    """Learners, their learning and their completions are written in bulk per batch
    (services.LearningBatch): the queries hardly grow with the learners."""
    LearningRecordStore.objects.create(name="lrs", endpoint="http://127.0.0.1:9/xapi")
    queries_20, savepoints_20 = seeded_queries(20, seed=3)
    queries_40, savepoints_40 = seeded_queries(40, seed=4)
    per_learner = (queries_40 - queries_20) / 20
    assert per_learner <= QUERIES_PER_LEARNER, (queries_20, queries_40)
    assert (savepoints_40 - savepoints_20) / 20 <= SAVEPOINTS_PER_LEARNER
    # Still the same services: completions, passed and failed attempts and outbox statements.
    assert CourseCompletion.objects.exists()
    assert QuizAttempt.objects.filter(passed=True).exists()
    assert QuizAttempt.objects.filter(passed=False).exists()
    assert XapiStatement.objects.filter(verb="completed").exists()


def learned(user):
    """The meaningful rows of what `user` did, without ids and timestamps."""
    out = {}
    for e in Enrollment.objects.filter(user=user).select_related("course", "completion"):
        completion = getattr(e, "completion", None)
        statements = XapiStatement.objects.filter(
            payload__context__registration=str(e.registration)
        )
        out[e.course.slug] = {
            "enrollment": (e.version_id, e.last_lesson_key, e.completed_at is not None),
            "waits_for_time": e.time_pending_since is not None,
            "lessons": sorted(
                (p.lesson_key, p.seconds_spent, p.completed_at is not None)
                for p in e.lesson_progress.all()
            ),
            "attempts": sorted(
                (
                    a.quiz.key,
                    a.phase,
                    a.number,
                    a.score,
                    a.passed,
                    a.submitted_at is not None,
                    repr(a.layout),
                    sorted(
                        (x.question_id, repr(x.response), x.fraction, x.is_correct)
                        for x in a.answers.all()
                    ),
                )
                for a in e.attempts.select_related("quiz")
            ),
            "choices": sorted(e.scenario_decisions.values_list("choice_id", flat=True)),
            "completion": completion and (completion.version_id, completion.score),
            "statements": sorted(
                (
                    s.verb,
                    s.payload["verb"]["id"],
                    s.payload["object"]["id"],
                    repr({k: v for k, v in s.payload.get("result", {}).items() if k != "duration"}),
                )
                for s in statements
            ),
        }
    return out, sorted(user.reflections.values_list("block_id", "text"))


def test_its_batch_writes_what_the_services_write_one_by_one(courses):
    """The same scripted learner (same random draws) through services.LearningBatch and through
    the services one call at a time (OneByOne) ends up with the same rows and statements."""
    LearningRecordStore.objects.create(name="lrs", endpoint="http://127.0.0.1:9/xapi")
    # Accredited, 0.17 h study load: a completion waits for 306 s of time on task.
    timed = factories.make_course(slug="d-tijd", lessons=2)
    CourseVersion.objects.filter(course=timed).update(study_load_hours=Decimal("0.17"))
    accredit(timed, "big")
    plans = [
        activity.load_plan(course)
        for course in Course.objects.published()
        .filter(pk__in=[c.pk for c in (*courses, timed)])
        .select_related("published_version")
        .order_by("slug")
    ]
    scripts = [
        (activity.COMPLETE, None, "a"),
        (activity.COMPLETE, None, "b"),
        (activity.COMPLETE, None, "c"),
        (activity.FAIL, None, "d"),
        (activity.FAIL, None, "e"),
        (activity.STOP, 1, "f"),
        ("guess", None, "g"),
    ]
    pairs = []
    batch_users = []
    batch = services.LearningBatch()
    for outcome, stop_after, seed in scripts:
        users = [factories.make_user(), factories.make_user()]
        results = []
        for learning, user in zip((activity.OneByOne(), batch), users, strict=True):
            rng = random.Random(seed)
            for plan in plans:
                if outcome == "guess":
                    results.append(activity.simulate_guesser(learning, user, plan, rng))
                else:
                    results.append(
                        activity.simulate_course(learning, user, plan, rng, outcome, stop_after)
                    )
        assert results[: len(plans)] == results[len(plans) :]
        pairs.append(users)
        batch_users.append(users[1])
    batch.save()
    for one_by_one, batched in pairs:
        (expected, expected_reflections), (got, got_reflections) = (
            learned(one_by_one),
            learned(batched),
        )
        assert expected and got.keys() == expected.keys()
        for slug, rows in expected.items():
            for kind, value in rows.items():
                assert got[slug][kind] == value, (slug, kind)
        assert got_reflections == expected_reflections
    # The scripts cover completions (after a failed try too), failures, stops and guesses.
    completed = [hasattr(e, "completion") for e in Enrollment.objects.filter(user__in=batch_users)]
    assert set(completed) == {True, False}
    assert QuizAttempt.objects.filter(quiz__kind="final", number=2, passed=True).exists()
    waiting = Enrollment.objects.filter(user__in=batch_users, time_pending_since__isnull=False)
    assert waiting.exists() and CourseCompletion.objects.filter(enrollment__course=timed).exists()
    assert Reflection.objects.exists() and ScenarioDecision.objects.exists()


def test_a_guesser_fails_the_final_test(courses):
    report = activity.seed_activity(6, seed=4, profile="guesser")
    lucky = report.outcomes.get(activity.LUCKY_GUESS, 0)
    assert report.enrollments == 12 and report.outcomes["fail"] + lucky == 12, report.outcomes
    assert report.outcomes["fail"] > lucky
    # A guess that happens to pass still completes nothing: the lessons were never done.
    assert not CourseCompletion.objects.exists()
    assert QuizAttempt.objects.filter(passed=True).count() == lucky


def test_it_answers_the_self_assessment_before_and_after(courses):
    _plain, rich = courses
    activity.seed_activity(16, seed=5)
    enrolled = Enrollment.objects.filter(course=rich)
    pre = QuizAttempt.objects.filter(
        enrollment__course=rich, phase="pre", submitted_at__isnull=False
    )
    post = QuizAttempt.objects.filter(
        enrollment__course=rich, phase="post", submitted_at__isnull=False
    )
    assert pre.count() == enrolled.count() > 0
    assert post.count() == CourseCompletion.objects.filter(enrollment__course=rich).count() > 0
    values = [a.response["value"] for a in Answer.objects.filter(attempt__in=pre | post)]
    assert len(values) == 3 * (pre.count() + post.count())
    assert all(1 <= v <= 5 for v in values)
    assert (
        not QuizAttempt.objects.filter(enrollment__course__slug="a-basis")
        .exclude(phase="")
        .exists()
    )


def test_it_is_reproducible_per_seed(courses):
    activity.seed_activity(8, seed=11, email_prefix="eerst")
    activity.seed_activity(8, seed=11, email_prefix="opnieuw")
    activity.seed_activity(8, seed=12, email_prefix="anders")
    first, again, other = summary("eerst", 11), summary("opnieuw", 11), summary("anders", 12)
    assert len(first) == 8
    assert first == again
    assert first != other


def test_it_skips_learners_that_already_exist(courses):
    activity.seed_activity(3, seed=1)
    report = activity.seed_activity(5, seed=1)
    assert (report.learners, report.skipped) == (2, 3)
    assert User.objects.count() == 5


def test_it_can_give_every_learner_a_password(courses):
    activity.seed_activity(2, seed=1, password="seed-wachtwoord-123")
    assert all(u.check_password("seed-wachtwoord-123") for u in User.objects.all())
    activity.seed_activity(1, seed=2)
    assert not User.objects.get(email__startswith="leerling-2-").has_usable_password()


def test_it_runs_as_a_management_command(courses):
    out = StringIO()
    call_command("seed_activity", learners=4, seed=2, stdout=out)
    assert "Created 4 learners" in out.getvalue()
    assert User.objects.count() == 4


def test_it_refuses_to_run_without_published_courses(db):
    with pytest.raises(CommandError, match="no published course"):
        call_command("seed_activity", learners=1)
