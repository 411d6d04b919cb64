"""Author reports: numbers an author can check by hand, across versions, in bounded queries."""

import csv
import io

import pytest
from django.urls import reverse

from courses import publishing, reports, services
from courses.models import Lesson, LessonProgress, Quiz, ScaleQuestion
from tests import factories

pytestmark = pytest.mark.django_db

# Per learner: which of the three final-test questions they answer correctly.
PATTERNS = {
    "l1": (True, True, True),
    "l2": (True, True, False),
    "l3": (True, False, False),
    "l4": (False, False, False),
}


def answer(enrollment, quiz, pattern, learner):
    data = {}
    for question, right in zip(quiz.questions.order_by("position"), pattern, strict=True):
        data[f"q-{question.pk}"] = str(question.options.get(position=0 if right else 1).pk)
    return services.submit_attempt(services.start_attempt(enrollment, quiz).pk, data, learner)


def rate(enrollment, quiz, phase, values, learner):
    data = {
        f"q-{q.pk}": str(v)
        for q, v in zip(quiz.questions.order_by("position"), values, strict=False)
    }
    services.submit_attempt(services.start_attempt(enrollment, quiz, phase=phase).pk, data, learner)


@pytest.fixture
def report_course(db):
    course = factories.make_course(slug="rapport", lessons=2, publish=False)
    version = course.versions.get()
    quiz = Quiz.objects.create(
        version=version, key="zelf", title="Zelfevaluatie", kind=Quiz.Kind.SELF_ASSESSMENT
    )
    for i in range(2):
        ScaleQuestion.objects.create(
            quiz=quiz, key=f"s{i + 1}", position=i, prompt=f"<p>Ik voel me zeker {i}</p>"
        )
    factories.publish_version(version)
    return course


@pytest.fixture
def taken(report_course):
    """Four learners on version 1, then version 2 is published and a fifth learner takes it."""
    course = report_course
    v1 = course.published_version
    learners = {}
    for name in PATTERNS:
        learner = factories.make_user(email=f"{name}@example.org")
        enrollment = services.enroll_learner(learner, course)
        learners[name] = (learner, enrollment)
    lessons = {lesson.key: lesson for lesson in Lesson.objects.filter(module__version=v1)}
    for name in ("l1", "l2", "l3"):
        services.complete_lesson(learners[name][1], lessons["les-1"])
    services.complete_lesson(learners["l1"][1], lessons["les-2"])
    services.start_lesson(learners["l4"][1], lessons["les-1"])
    LessonProgress.objects.filter(lesson_key="les-1").update(seconds_spent=60)
    LessonProgress.objects.filter(lesson_key="les-2").update(seconds_spent=120)
    for name, pattern in PATTERNS.items():
        answer(learners[name][1], v1.final_test, pattern, learners[name][0])
    zelf = v1.quizzes.get(key="zelf")
    rate(learners["l1"][1], zelf, "pre", [2, 5], learners["l1"][0])
    rate(learners["l1"][1], zelf, "post", [4, 5], learners["l1"][0])
    rate(learners["l2"][1], zelf, "pre", [3, 4], learners["l2"][0])
    rate(learners["l2"][1], zelf, "post", [3, 4], learners["l2"][0])
    rate(learners["l3"][1], zelf, "pre", [1, 2], learners["l3"][0])

    author = factories.make_author(course)
    publishing.publish_draft(publishing.create_draft(course, author), author)
    course.refresh_from_db()
    l5 = factories.make_user(email="l5@example.org")
    enrollment = services.enroll_learner(l5, course)
    answer(enrollment, course.published_version.final_test, (True, True, True), l5)
    return course


def test_it_summarises_enrolments_completion_pass_rate_and_time(taken):
    summary = reports.course_summary(taken)
    assert summary.enrollments == 5
    assert summary.completed == 1  # l1: both lessons and the final test
    assert (summary.final_attempted, summary.final_passed) == (5, 2)  # l1 and l5 (pass mark 70 %)
    assert summary.completion_pct == "20%" and summary.pass_pct == "40%"
    assert summary.average_seconds == (4 * 60 + 120) / 5


def test_it_builds_the_lesson_funnel_by_lesson_key(taken):
    funnel = reports.lesson_funnel(taken)
    assert [(r.lesson_key, r.started, r.completed, r.average_seconds) for r in funnel] == [
        ("les-1", 4, 3, 60.0),
        ("les-2", 1, 1, 120.0),
    ]
    assert funnel[0].pct == "60%"


def test_it_reports_difficulty_discrimination_and_option_choices_across_versions(taken):
    rows = reports.question_stats(taken)
    assert [(r.key, r.answers, r.correct, r.pct) for r in rows] == [
        ("q0", 5, 4, "80%"),
        ("q1", 5, 3, "60%"),
        ("q2", 5, 2, "40%"),
    ]
    # Upper 27 % (2 of 5 attempts): l1 and l5, all right. Lower: l4 and l3.
    assert [r.discrimination for r in rows] == [0.5, 1.0, 1.0]
    assert [(o.key, o.chosen, o.is_correct) for o in rows[0].options] == [
        ("o0", 4, True),
        ("o1", 1, False),
        ("o2", 0, False),
    ]
    assert rows[0].options[0].pct == "80%"


def test_it_reports_self_assessment_shifts_of_paired_learners(taken):
    rows = {r.key: r for r in reports.self_assessment_shifts(taken)}
    s1 = rows["s1"]
    assert (s1.pre_count, s1.pre_mean, s1.post_count, s1.post_mean) == (3, 2, 2, 3.5)
    assert s1.shift == 1.5 and (s1.paired, s1.paired_shift) == (2, 1)
    assert rows["s2"].paired_shift == 0


def test_it_reads_a_fixed_number_of_queries_however_many_learners(
    report_course, django_assert_num_queries
):
    course = report_course
    v1 = course.published_version
    learner = factories.make_user()
    answer(services.enroll_learner(learner, course), v1.final_test, (True, False, True), learner)
    with django_assert_num_queries(REPORT_QUERIES):
        reports.course_report(course)
    for pattern in PATTERNS.values():
        other = factories.make_user()
        enrollment = services.enroll_learner(other, course)
        answer(enrollment, v1.final_test, pattern, other)
        rate(enrollment, v1.quizzes.get(key="zelf"), "pre", [3, 3], other)
    with django_assert_num_queries(REPORT_QUERIES):
        report = reports.course_report(course)
    assert report.summary.enrollments == 5 and report.shifts[0].pre_count == 4


# summary 2, funnel 2 (progress, lessons),
# questions 1 + 1 type + options + option keys + counts + option choices = 6,
# self-assessment statements 1 + 1 type + aggregate = 3.
REPORT_QUERIES = 13


def bulk_learners(course, n):
    """n learners with a submitted final test (alternating answers) and a pre and post rating,
    inserted in bulk: the report's work grows with them, the services' would swamp the test."""
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Answer, Enrollment, QuizAttempt

    version = course.published_version
    final = version.final_test
    questions = list(final.questions.order_by("position").prefetch_related("options"))
    zelf = version.quizzes.get(key="zelf")
    statements = list(zelf.questions.order_by("position"))
    users = User.objects.bulk_create(
        [
            User(email=f"bulk{i}@example.org", username=f"bulk{i}", last_name=str(i))
            for i in range(n)
        ]
    )
    enrollments = Enrollment.objects.bulk_create(
        [Enrollment(user=u, course=course, version=version) for u in users]
    )
    now = timezone.now()
    attempts, answers = [], []
    for i, e in enumerate(enrollments):
        attempts.append(QuizAttempt(enrollment=e, quiz=final, submitted_at=now, score=i % 4 / 3))
        for number, phase in enumerate(("pre", "post"), start=1):
            attempts.append(
                QuizAttempt(enrollment=e, quiz=zelf, number=number, phase=phase, submitted_at=now)
            )
    attempts = QuizAttempt.objects.bulk_create(attempts)
    for i, a in enumerate(attempts):
        if a.quiz_id == final.pk:
            for j, q in enumerate(questions):
                option = list(q.options.all())[(i + j) % 2]
                answers.append(
                    Answer(
                        attempt=a, question=q, response={"option": option.pk}, is_correct=j < i % 4
                    )
                )
        else:
            answers += [
                Answer(attempt=a, question=s, response={"value": 1 + (i + k) % 5})
                for k, s in enumerate(statements)
            ]
    Answer.objects.bulk_create(answers, batch_size=2000)


@pytest.mark.parametrize("n", [5, 50])
def test_it_reads_the_same_queries_for_5_and_50_bulk_learners(
    report_course, django_assert_num_queries, n
):
    bulk_learners(report_course, n)
    with django_assert_num_queries(REPORT_QUERIES):
        report = reports.course_report(report_course)
    assert report.summary.enrollments == n and report.questions[0].answers == n
    assert report.shifts[0].pre_count == n and report.shifts[0].paired == n


def test_it_keeps_the_report_memory_flat_however_many_answers(report_course):
    import tracemalloc

    bulk_learners(report_course, 4000)
    reports.course_report(report_course)  # warm caches (content types, compiled templates)
    tracemalloc.start()
    try:
        report = reports.course_report(report_course)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.questions[0].answers == 4000
    # 4,000 learners × 5 answers: reading them into Python took several megabytes; the report
    # itself is a few dozen rows.
    assert peak < 1_000_000, peak


def test_it_shows_charts_with_data_tables_and_exports_csv(client, taken):
    author = taken.roles.get(role="author").user
    client.force_login(author)
    page = client.get(reverse("authoring:report", args=["rapport"])).content.decode()
    assert '<svg class="bar"' in page and '<rect class="bar-fill" x="0" y="0" width="80.0"' in page
    assert "<table>" in page and "Moeilijkheid en onderscheidend vermogen" in page
    assert "<script" not in page.split("</main>")[0]

    response = client.get(reverse("authoring:report_csv", args=["rapport", "questions"]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["quiz_key", "quiz", "question_key"]
    assert [(r[2], r[6], r[7], r[8], r[9]) for r in rows[1:]] == [
        ("q0", "5", "4", "0.800", "0.500"),
        ("q1", "5", "3", "0.600", "1.000"),
        ("q2", "5", "2", "0.400", "1.000"),
    ]
    shifts = list(
        csv.reader(
            io.StringIO(
                client.get(
                    reverse("authoring:report_csv", args=["rapport", "shifts"])
                ).content.decode()
            )
        )
    )
    assert shifts[1][1] == "s1" and shifts[1][8] == "1.500"
    assert (
        client.get(reverse("authoring:report_csv", args=["rapport", "learners"])).status_code == 404
    )


def test_it_exports_csv_for_dutch_excel_and_time_in_minutes(client, taken):
    author = taken.roles.get(role="author").user
    client.force_login(author)
    url = reverse("authoring:report_csv", args=["rapport", "questions"]) + "?formaat=excel"
    response = client.get(url)
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff") and "-excel.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:3] == ["quizcode", "quiz", "vraagcode"]
    assert (rows[1][2], rows[1][8], rows[1][9]) == ("q0", "0,800", "0,500")

    funnel = client.get(reverse("authoring:report_csv", args=["rapport", "funnel"])).content
    header, first = list(csv.reader(io.StringIO(funnel.decode())))[:2]
    assert header[-3:] == ["average_minutes", "median_minutes", "estimated_minutes"]
    seconds = next(r for r in reports.course_report(taken).funnel).average_seconds
    assert first[-3] == f"{seconds / 60:.1f}"
    page = client.get(reverse("authoring:report", args=["rapport"])).content.decode()
    assert "Gem. tijd (min)" in page and " min</dd>" in page


def test_it_neutralises_spreadsheet_formulas_in_csv(client, report_course):
    author = factories.make_author(report_course)
    Lesson.objects.filter(key="les-1").update(title='=HYPERLINK("http://evil")')
    client.force_login(author)
    text = client.get(reverse("authoring:report_csv", args=["rapport", "funnel"])).content.decode()
    assert "'=HYPERLINK" in text


def test_it_reports_an_empty_course_without_errors(client):
    author = factories.make_user(is_staff=True)
    client.force_login(author)
    client.post(reverse("authoring:course_create"), {"title": "Leeg", "slug": "leeg"})
    response = client.get(reverse("authoring:report", args=["leeg"]))
    assert (
        response.status_code == 200
        and "Deze cursus heeft geen zelfevaluatie." in response.content.decode()
    )


def test_it_renders_the_report_page_in_a_fixed_number_of_queries(
    client, report_course, django_assert_num_queries, django_capture_on_commit_callbacks
):
    course = report_course
    client.force_login(factories.make_author(course))
    v1 = course.published_version
    # Session, user, the course (with the author check), the stored report and the cache key
    # of a waiting refresh: the figures are read, not computed (see test_reports_stored.py).
    page_queries = 5
    client.get(reverse("authoring:report", args=["rapport"]))  # stores the first report
    with django_assert_num_queries(page_queries):
        client.get(reverse("authoring:report", args=["rapport"]))
    with django_capture_on_commit_callbacks(execute=True):  # the refresh task runs (eager)
        for pattern in PATTERNS.values():
            other = factories.make_user()
            answer(services.enroll_learner(other, course), v1.final_test, pattern, other)
    with django_assert_num_queries(page_queries):
        response = client.get(reverse("authoring:report", args=["rapport"]))
    assert response.context["report"].summary.enrollments == 4
