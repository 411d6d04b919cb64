"""Drafts are deep copies; publishing moves unfinished learners and leaves completed ones alone."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses import publishing, reports, services
from courses.models import (
    Block,
    ChangeRecord,
    CourseCompletion,
    CourseRole,
    CourseVersion,
    Enrollment,
    Lesson,
    LessonProgress,
    Option,
    Persona,
    Question,
    Quiz,
    QuizBlock,
    Reflection,
    ReflectionBlock,
    RichTextBlock,
    ScenarioChoice,
    ScenarioStep,
    TrueFalseQuestion,
)
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def rich_course(db):
    """A published course whose first lesson holds every block kind (and a practice quiz)."""
    course = factories.make_course(slug="rijk", lessons=2, publish=False)
    lesson = Lesson.objects.get(module__version__course=course, key="les-1")
    factories.add_every_block_kind(lesson, start=1)
    factories.publish_version(course.versions.get())
    return course


def passing_answers(quiz):
    return {f"q-{q.pk}": str(q.options.get(is_correct=True).pk) for q in quiz.questions.all()}


def content_signature(version):
    """Everything an author wrote in a version, by key, with pks left out."""
    blocks = []
    for block in Block.objects.filter(lesson__module__version=version).order_by(
        "lesson__key", "position"
    ):
        fields = {
            f.name: getattr(block, f.attname)
            for f in block._meta.concrete_fields
            if not (f.primary_key or f.is_relation or f.name in {"position"})
        }
        blocks.append((block.lesson.key, block.key, type(block).__name__, block.position, fields))
    questions = [
        (
            q.quiz.key,
            q.key,
            type(q).__name__,
            q.prompt,
            [(o.key, o.text, o.is_correct) for o in q.options.all()],
        )
        for q in Question.objects.filter(quiz__version=version).order_by("quiz__key", "position")
    ]
    choices = [
        (c.step.scenario.key, c.step.key, c.text, c.next_step.key if c.next_step else None)
        for c in ScenarioChoice.objects.filter(
            step__scenario__lesson__module__version=version
        ).order_by("step__key", "position")
    ]
    lessons = [
        (m, k, t)
        for m, k, t in Lesson.objects.filter(module__version=version)
        .values_list("module__key", "key", "title")
        .order_by("module__key", "key")
    ]
    return blocks, questions, choices, lessons


def test_it_deep_copies_the_published_version_into_a_draft_keeping_keys(rich_course):
    author = factories.make_author(rich_course)
    published = rich_course.published_version
    draft = publishing.create_draft(rich_course, author)

    assert draft.status == CourseVersion.Status.DRAFT and draft.number == 2
    assert content_signature(draft) == content_signature(published)
    # New rows, not shared ones.
    assert not set(
        Block.objects.filter(lesson__module__version=draft).values_list("pk", flat=True)
    ) & set(Block.objects.filter(lesson__module__version=published).values_list("pk", flat=True))
    # The quiz block points at the draft's own copy of the quiz, choices at the draft's steps.
    quiz_block = QuizBlock.objects.get(lesson__module__version=draft)
    assert quiz_block.quiz.version == draft
    for choice in ScenarioChoice.objects.filter(
        step__scenario__lesson__module__version=draft, next_step__isnull=False
    ):
        assert choice.next_step.scenario_id == choice.step.scenario_id
    assert isinstance(Question.objects.get(quiz__version=draft, key="tf"), TrueFalseQuestion)
    assert ChangeRecord.objects.filter(version=draft, action="draft", user=author).count() == 1


def test_it_returns_the_existing_draft_instead_of_a_second_one(rich_course):
    author = factories.make_author(rich_course)
    first = publishing.create_draft(rich_course, author)
    assert publishing.create_draft(rich_course, author) == first
    assert rich_course.versions.count() == 2


def test_it_does_not_change_what_learners_see_while_the_draft_is_edited(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    draft = publishing.create_draft(rich_course, author)
    block = RichTextBlock.objects.get(lesson__module__version=draft, lesson__key="les-1", key="b0")
    block.html = "<p>Nieuwe tekst</p>"
    block.save()
    live = RichTextBlock.objects.get(
        lesson__module__version=enrollment.version, lesson__key="les-1", key="b0"
    )
    assert live.html == "<p>Tekst 0</p>"
    rich_course.refresh_from_db()
    assert rich_course.published_version == enrollment.version != draft


def test_it_moves_unfinished_learners_and_keeps_their_progress(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    old = enrollment.version
    lesson1 = Lesson.objects.get(module__version=old, key="les-1")
    services.complete_lesson(enrollment, lesson1)
    reflection_block = ReflectionBlock.objects.get(lesson=lesson1)
    services.save_reflection(learner, reflection_block, "Mijn gedachte")

    draft = publishing.create_draft(rich_course, author)
    # The author removes les-2 and adds a new required lesson.
    Lesson.objects.get(module__version=draft, key="les-2").delete()
    new_lesson = Lesson.objects.create(
        module=draft.modules.get(), key="nieuw", title="Nieuw", position=5
    )
    RichTextBlock.objects.create(lesson=new_lesson, key="t", html="<p>Nieuw</p>")
    result = publishing.publish_draft(draft, author)

    assert result.to_move == 1 and result.kept_enrollments == 0
    record = ChangeRecord.objects.get(action="publish", version=draft)
    assert record.changes["to_move"] == 1 and "1 deelnemer ging mee" in record.sentence()
    # Publishing moves no one itself: the sweep queued after commit does.
    enrollment.refresh_from_db()
    assert enrollment.version == old
    assert publishing.move_enrollments(rich_course.pk) == (1, 0)
    assert publishing.move_enrollments(rich_course.pk) == (0, 0)
    enrollment.refresh_from_db()
    old.refresh_from_db()
    assert enrollment.version == draft and old.status == CourseVersion.Status.RETIRED
    assert LessonProgress.objects.get(enrollment=enrollment, lesson_key="les-1").is_completed
    # The reflection follows the learner to the new version's block with the same keys.
    reflection = Reflection.objects.get(user=learner)
    assert reflection.block.lesson.module.version == draft and reflection.text == "Mijn gedachte"
    assert services.required_lesson_keys(enrollment.version) == {"les-1", "nieuw"}

    # The removed lesson no longer counts; the new one must be done, then the final test.
    quiz = enrollment.version.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, passing_answers(quiz), learner
    )
    assert not CourseCompletion.objects.exists()
    services.complete_lesson(enrollment, Lesson.objects.get(module__version=draft, key="nieuw"))
    assert CourseCompletion.objects.get(enrollment=enrollment).version == draft


def test_it_leaves_completed_learners_on_the_version_they_completed(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    v1 = enrollment.version
    for lesson in Lesson.objects.filter(module__version=v1):
        services.complete_lesson(enrollment, lesson)
    quiz = v1.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, passing_answers(quiz), learner
    )
    assert CourseCompletion.objects.get(enrollment=enrollment).version == v1

    result = publishing.publish_draft(publishing.create_draft(rich_course, author), author)
    assert result.to_move == 0 and result.kept_enrollments == 1
    assert publishing.move_enrollments(rich_course.pk) == (0, 0)
    assert services.lock_enrollment(enrollment).version == v1
    enrollment.refresh_from_db()
    assert enrollment.version == v1
    assert CourseCompletion.objects.get(enrollment=enrollment).version == v1


def test_it_keeps_an_open_attempt_on_the_old_version_submittable(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    old_quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, old_quiz)
    answers = passing_answers(old_quiz)

    draft = publishing.create_draft(rich_course, author)
    Option.objects.filter(question__quiz__version=draft).update(is_correct=False)
    Option.objects.filter(question__quiz__version=draft, position=1).update(is_correct=True)
    publishing.publish_draft(draft, author)

    result = services.submit_attempt(attempt.pk, answers, learner)
    # Graded against the questions the learner saw when starting, not the new version's.
    assert result.newly_submitted and result.attempt.passed is True
    assert result.attempt.quiz_id == old_quiz.pk


def test_it_refuses_to_publish_without_a_fresh_reviewer_approval(rich_course):
    author = factories.make_author(rich_course)
    reviewer = factories.make_user()
    CourseRole.objects.create(course=rich_course, user=reviewer, role=CourseRole.Role.REVIEWER)
    draft = publishing.create_draft(rich_course, author)

    with pytest.raises(ValidationError) as exc:
        publishing.publish_draft(draft, author)
    assert any("reviewer" in m for m in exc.value.messages)

    publishing.approve_version(draft, reviewer)
    # A change after the approval makes it outdated.
    block = RichTextBlock.objects.get(lesson__module__version=draft, lesson__key="les-2")
    publishing.record_change(
        author, rich_course, ChangeRecord.Action.UPDATE, version=draft, obj=block
    )
    assert publishing.valid_approvals(draft) == []
    with pytest.raises(ValidationError):
        publishing.publish_draft(draft, author)

    publishing.approve_version(draft, reviewer, "Akkoord")
    publishing.publish_draft(draft, author)
    rich_course.refresh_from_db()
    assert rich_course.published_version == draft


def test_it_counts_a_persona_change_as_a_change_of_every_draft_that_shows_it(rich_course):
    author = factories.make_author(rich_course)
    reviewer = factories.make_user()
    CourseRole.objects.create(course=rich_course, user=reviewer, role=CourseRole.Role.REVIEWER)
    draft = publishing.create_draft(rich_course, author)
    publishing.approve_version(draft, reviewer)
    assert publishing.valid_approvals(draft)
    persona = Persona.objects.get(stories__lesson__module__version=draft)
    persona.name = "Een andere naam"
    persona.save()
    records = publishing.record_persona_change(
        author, persona, ChangeRecord.Action.UPDATE, {"name": ["Levi", persona.name]}
    )
    assert [(r.course, r.version) for r in records] == [(rich_course, draft)]
    assert publishing.valid_approvals(draft) == []
    # The published version keeps the persona as it was approved.
    published = rich_course.published_version
    assert published.personas[str(persona.pk)]["name"] != "Een andere naam"


def test_it_does_not_let_authors_approve_their_own_draft(rich_course):
    author = factories.make_author(rich_course)
    CourseRole.objects.create(course=rich_course, user=author, role=CourseRole.Role.REVIEWER)
    draft = publishing.create_draft(rich_course, author)
    with pytest.raises(PermissionDenied):
        publishing.approve_version(draft, author)
    with pytest.raises(PermissionDenied):
        publishing.approve_version(draft, factories.make_user())


def test_it_lists_what_blocks_publishing_and_writes_nothing(rich_course):
    author = factories.make_author(rich_course)
    draft = publishing.create_draft(rich_course, author)
    Lesson.objects.create(module=draft.modules.get(), key="leeg", title="Lege les", position=9)
    Option.objects.filter(
        question__quiz__version=draft, question__key="q0", question__quiz__kind="final"
    ).update(is_correct=False)
    with pytest.raises(ValidationError) as exc:
        publishing.publish_draft(draft, author)
    assert "Les ‘Lege les’ heeft nog geen inhoud." in exc.value.messages
    assert "Vraag 1 van quiz ‘Eindtoets’ heeft geen juist antwoord." in exc.value.messages
    draft.refresh_from_db()
    rich_course.refresh_from_db()
    assert draft.status == CourseVersion.Status.DRAFT and rich_course.published_version.number == 1
    assert not ChangeRecord.objects.filter(action="publish").exists()


def test_it_only_lets_authors_publish(rich_course):
    author = factories.make_author(rich_course)
    draft = publishing.create_draft(rich_course, author)
    with pytest.raises(PermissionDenied):
        publishing.publish_draft(draft, factories.make_user(is_staff=True))


def test_it_keeps_scenario_branches_inside_the_copy(rich_course):
    author = factories.make_author(rich_course)
    draft = publishing.create_draft(rich_course, author)
    start = ScenarioStep.objects.get(scenario__lesson__module__version=draft, key="start")
    choice = start.choices.get(position=0)
    assert choice.next_step.key == "vervolg"
    assert choice.next_step.scenario.lesson.module.version == draft


def test_it_counts_a_final_test_passed_on_the_old_version(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    v1 = enrollment.version
    services.complete_lesson(enrollment, Lesson.objects.get(module__version=v1, key="les-1"))
    quiz = v1.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, passing_answers(quiz), learner
    )
    assert not CourseCompletion.objects.exists()  # les-2 is still to do

    v2 = publishing.create_draft(rich_course, author)
    publishing.publish_draft(v2, author)
    enrollment.refresh_from_db()
    services.complete_lesson(enrollment, Lesson.objects.get(module__version=v2, key="les-2"))
    completion = CourseCompletion.objects.get(enrollment=enrollment)
    assert completion.version == v2 and completion.score == 1


def test_it_keeps_the_attempt_budget_and_a_pass_across_versions(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    v1 = enrollment.version
    Quiz.objects.filter(pk=v1.final_test.pk).update(max_attempts=1)
    quiz = Quiz.objects.get(pk=v1.final_test.pk)
    services.submit_attempt(services.start_attempt(enrollment, quiz).pk, {}, learner)
    assert services.attempts_left(enrollment, quiz) == 0

    v2 = publishing.create_draft(rich_course, author)  # copies max_attempts=1
    publishing.publish_draft(v2, author)
    enrollment.refresh_from_db()
    assert services.attempts_left(enrollment, v2.final_test) == 0
    with pytest.raises(PermissionDenied):
        services.start_attempt(enrollment, v2.final_test)


def test_it_refuses_a_new_final_test_after_a_pass_on_the_old_version(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    quiz = enrollment.version.final_test
    services.submit_attempt(
        services.start_attempt(enrollment, quiz).pk, passing_answers(quiz), learner
    )
    v2 = publishing.create_draft(rich_course, author)
    publishing.publish_draft(v2, author)
    enrollment.refresh_from_db()
    with pytest.raises(PermissionDenied, match="al gehaald"):
        services.start_attempt(enrollment, v2.final_test)


def test_it_completes_on_the_new_version_when_an_old_open_attempt_is_passed(rich_course, learner):
    author = factories.make_author(rich_course)
    enrollment = services.enroll_learner(learner, rich_course)
    v1 = enrollment.version
    attempt = services.start_attempt(enrollment, v1.final_test)
    answers = passing_answers(v1.final_test)
    v2 = publishing.create_draft(rich_course, author)
    publishing.publish_draft(v2, author)
    enrollment.refresh_from_db()
    for lesson in Lesson.objects.filter(module__version=v2):
        services.complete_lesson(enrollment, lesson)
    assert not CourseCompletion.objects.exists()
    services.submit_attempt(attempt.pk, answers, learner)
    assert CourseCompletion.objects.get(enrollment=enrollment).version == v2


def test_it_moves_unfinished_learners_when_a_course_file_is_imported_and_published(
    rich_course, learner, outsider, tmp_path, django_capture_on_commit_callbacks
):
    from courses.course_files import export_version
    from courses.course_files.importer import import_content

    unfinished = services.enroll_learner(learner, rich_course)
    finished = services.enroll_learner(outsider, rich_course)
    v1 = finished.version
    for lesson in Lesson.objects.filter(module__version=v1):
        services.complete_lesson(finished, lesson)
    quiz = v1.final_test
    services.submit_attempt(
        services.start_attempt(finished, quiz).pk, passing_answers(quiz), outsider
    )

    path = export_version(v1, tmp_path / "export/")
    path.write_text(path.read_text(encoding="utf-8").replace("Les 2", "Les twee"), encoding="utf-8")
    # After commit, the sweep task (eager here, as on a laptop) moves the unfinished learner.
    with django_capture_on_commit_callbacks(execute=True):
        import_content([path], publish=True)

    rich_course.refresh_from_db()
    v2 = rich_course.published_version
    assert (
        v2.number == 2 and Lesson.objects.get(module__version=v2, key="les-2").title == "Les twee"
    )
    unfinished.refresh_from_db()
    finished.refresh_from_db()
    assert unfinished.version == v2 and finished.version == v1
    v1.refresh_from_db()
    assert v1.status == CourseVersion.Status.RETIRED
    assert ChangeRecord.objects.get(action="publish", version=v2).changes["to_move"] == 1


def publish_with_more_learners(course, learners):
    """Add `learners` unfinished learners who reflected, then publish a new version; return the
    number of queries and the longest SQL statement of swap_published_version."""
    block = ReflectionBlock.objects.get(
        lesson__module__version=course.published_version, lesson__key="les-1"
    )
    for _ in range(learners):
        user = factories.make_user()
        services.enroll_learner(user, course)
        services.save_reflection(user, block, "Mijn gedachte")
    draft = publishing.create_draft(course, factories.make_author(course))
    with CaptureQueriesContext(connection) as captured:
        result = publishing.swap_published_version(draft)
    with CaptureQueriesContext(connection) as swept:
        moved, left = publishing.move_enrollments(course.pk)
    course.refresh_from_db()
    total = Enrollment.objects.filter(course=course).count()
    assert result.to_move == moved == total and left == 0
    assert Reflection.objects.filter(block__lesson__module__version=draft).count() == total
    return len(captured), len(swept), max(len(q["sql"]) for q in captured.captured_queries)


def test_it_publishes_and_sweeps_in_set_based_sql(rich_course, monkeypatch):
    small = publish_with_more_learners(rich_course, 3)
    large = publish_with_more_learners(rich_course, 30)
    # The same statements for 3 and 33 learners: publishing moves no one and no id list grows.
    assert small == large
    # The sweep takes chunks: one more chunk, a fixed number more queries.
    monkeypatch.setattr(publishing, "MOVE_CHUNK", 20)
    in_two_chunks = publish_with_more_learners(rich_course, 0)  # 33 learners, chunks of 20
    monkeypatch.setattr(publishing, "MOVE_CHUNK", 10)
    in_four_chunks = publish_with_more_learners(rich_course, 0)
    per_chunk = (in_four_chunks[1] - in_two_chunks[1]) / 2
    assert in_two_chunks[0] == small[0] and per_chunk == in_two_chunks[1] - small[1]


def test_it_moves_a_learner_who_opens_the_course_before_the_sweep(rich_course, client):
    author = factories.make_author(rich_course)
    users = [factories.make_user() for _ in range(5)]
    course_opener, lesson_opener, test_opener, waiter, finisher = users
    enrollments = [services.enroll_learner(u, rich_course) for u in users]
    v1 = rich_course.published_version
    services.save_reflection(
        lesson_opener, ReflectionBlock.objects.get(lesson__module__version=v1), "Mijn gedachte"
    )
    for lesson in Lesson.objects.filter(module__version=v1):
        services.complete_lesson(enrollments[4], lesson)
    quiz = v1.final_test
    services.submit_attempt(
        services.start_attempt(enrollments[4], quiz).pk, passing_answers(quiz), finisher
    )
    draft = publishing.create_draft(rich_course, author)
    new_lesson = Lesson.objects.create(
        module=draft.modules.get(), key="nieuw", title="Nieuw", position=5
    )
    RichTextBlock.objects.create(lesson=new_lesson, key="t", html="<p>Nieuw</p>")
    assert publishing.publish_draft(draft, author).to_move == 4

    def versions():
        return [Enrollment.objects.get(pk=e.pk).version.number for e in enrollments]

    # Before the sweep: the course page, a lesson page and the test page show the new version to
    # the learner who opens them (moved on the spot), and no one else is moved.
    course_url = f"/cursus/{rich_course.slug}/"
    client.force_login(course_opener)
    assert "Nieuw" in client.get(course_url).text
    assert versions() == [2, 1, 1, 1, 1]
    client.force_login(lesson_opener)
    page = client.get(f"{course_url}les/nieuw/")
    assert page.status_code == 200 and "<p>Nieuw</p>" in page.text
    assert "Mijn gedachte" in client.get(f"{course_url}les/les-1/").text
    assert Reflection.objects.get(user=lesson_opener).block.lesson.module.version == draft
    client.force_login(test_opener)
    assert client.get(f"{course_url}toets/{quiz.key}/").status_code == 200
    assert versions() == [2, 2, 2, 1, 1]
    client.force_login(finisher)
    assert client.get(f"{course_url}les/nieuw/").status_code == 404

    # The sweep moves the one who did not come back; the finisher stays where they completed.
    assert publishing.move_enrollments(rich_course.pk) == (1, 0)
    assert versions() == [2, 2, 2, 2, 1]
    assert reports.course_summary(rich_course).enrollments == 5


def test_it_sweeps_learners_a_lost_sweep_left_behind_every_hour(rich_course):
    from django.conf import settings

    from courses.tasks import move_left_behind_task

    entry = settings.CELERY_BEAT_SCHEDULE["move-learners-left-behind"]
    assert entry["task"] == move_left_behind_task.name and entry["schedule"] == 3600.0
    enrollment = services.enroll_learner(factories.make_user(), rich_course)
    author = factories.make_author(rich_course)
    draft = publishing.create_draft(rich_course, author)
    publishing.publish_draft(draft, author)  # its sweep, queued after commit, never runs here
    assert move_left_behind_task.apply().get() == 1  # the sweep runs eagerly here
    enrollment.refresh_from_db()
    assert enrollment.version == draft
    assert move_left_behind_task.apply().get() == 0
