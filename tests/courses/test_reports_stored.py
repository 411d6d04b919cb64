"""The stored author report: the page and its CSVs read the report as last computed, which a
debounced task refreshes after learning events, in the same queries however many learners."""

import csv
import datetime
import io

import pytest
import time_machine
from celery.signals import before_task_publish
from django.urls import reverse

from courses import reports, services
from courses.models import CourseReportSnapshot, Lesson
from courses.tasks import refresh_course_report
from lms.celery import app
from tests import factories
from tests.courses import test_reports
from tests.courses.test_reports import PATTERNS, answer

pytestmark = pytest.mark.django_db

# The statistics tests' course and learners (four on version 1, one on version 2).
report_course = test_reports.report_course
taken = test_reports.taken

START = datetime.datetime(2026, 3, 2, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def queued():
    """Tasks go to the (in-memory) broker instead of running at once, as in production: the
    names and arguments of the tasks queued are listed here; nothing consumes them."""

    sent = []

    def record(sender=None, body=None, **kwargs):
        sent.append((sender, tuple(body[0])))

    before_task_publish.connect(record, weak=False)
    app.conf.task_always_eager = False
    try:
        yield sent
    finally:
        app.conf.task_always_eager = True
        before_task_publish.disconnect(record)


def refreshes(sent, course):
    return [task for task in sent if task == ("courses.refresh_course_report", (course.pk,))]


def new_learner(course, pattern=(True, True, True)):
    learner = factories.make_user()
    enrollment = services.enroll_learner(learner, course)
    lesson = Lesson.objects.filter(module__version=course.published_version).first()
    services.complete_lesson(enrollment, lesson)
    answer(enrollment, course.published_version.final_test, pattern, learner)
    return learner


def page(client, course):
    return client.get(reverse("authoring:report", args=[course.slug]))


def test_it_shows_the_stored_figures_and_their_time(client, taken):
    course, author = taken, factories.make_author(taken)
    client.force_login(author)
    with time_machine.travel(START, tick=False):
        first = page(client, course)  # no report yet: computed once, in the request, and stored
    assert first.context["report"].summary.enrollments == 5
    new_learner(course)  # its refresh is queued after commit, which this test never reaches
    response = page(client, course)
    assert response.context["report"].summary.enrollments == 5
    assert CourseReportSnapshot.objects.get(course=course).computed_at == START
    text = response.content.decode()
    assert "Bijgewerkt op 2 maart 2026 10:30" in text  # Europe/Amsterdam
    assert "wordt binnen enkele minuten bijgewerkt" not in text


def test_it_queues_one_refresh_per_course_within_the_window(
    client, taken, queued, django_capture_on_commit_callbacks
):
    course, author = taken, factories.make_author(taken)
    client.force_login(author)
    other = factories.make_course(slug="ander")
    with time_machine.travel(START, tick=False):
        page(client, course)
    with time_machine.travel(START + datetime.timedelta(seconds=5), tick=False):
        for pattern in PATTERNS.values():  # each learner in transactions of their own
            with django_capture_on_commit_callbacks(execute=True):
                new_learner(course, pattern)
        with django_capture_on_commit_callbacks(execute=True):
            services.enroll_learner(factories.make_user(), other)
        response = page(client, course)
    assert refreshes(queued, course) == [("courses.refresh_course_report", (course.pk,))]
    assert len(refreshes(queued, other)) == 1
    # Waiting: the page says so and still shows the stored figures.
    assert response.context["report"].summary.enrollments == 5
    assert "wordt binnen enkele minuten bijgewerkt" in response.content.decode()
    # The worker runs it when the window that the first event opened ends.
    later = START + datetime.timedelta(seconds=5 + reports.REFRESH_DELAY_SECONDS)
    with time_machine.travel(later, tick=False):
        refresh_course_report(course.pk)
        response = page(client, course)
    assert response.context["report"].summary.enrollments == 9
    assert response.context["report"].summary.final_attempted == 9
    text = response.content.decode()
    assert "Bijgewerkt op 2 maart 2026 10:31" in text
    assert "wordt binnen enkele minuten bijgewerkt" not in text
    # A learning event after the window queues the next refresh.
    with time_machine.travel(later + datetime.timedelta(seconds=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            new_learner(course)
    assert len(refreshes(queued, course)) == 2


def test_it_refreshes_when_the_author_asks_once_per_window(
    client, taken, queued, django_capture_on_commit_callbacks
):
    course, author = taken, factories.make_author(taken)
    client.force_login(author)
    page(client, course)
    url = reverse("authoring:report_refresh", args=[course.slug])
    assert client.get(url).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url)
    assert response.redirect_chain[-1][0] == reverse("authoring:report", args=[course.slug])
    assert "De rapportage wordt bijgewerkt" in response.content.decode()
    assert len(refreshes(queued, course)) == 1


def test_it_lets_only_the_courses_authors_see_or_refresh_the_report(client, taken, queued):
    course = taken
    client.force_login(factories.make_author(factories.make_course(slug="eigen")))
    assert page(client, course).status_code == 404
    csv_url = reverse("authoring:report_csv", args=[course.slug, "funnel"])
    assert client.get(csv_url).status_code == 404
    refresh_url = reverse("authoring:report_refresh", args=[course.slug])
    assert client.post(refresh_url).status_code == 404
    assert not CourseReportSnapshot.objects.filter(course=course).exists()


def test_it_serves_csvs_from_the_snapshot_equal_to_a_fresh_computation(client, taken):
    course, author = taken, factories.make_author(taken)
    client.force_login(author)
    page(client, course)  # stores the report
    fresh = reports.course_report(course)
    for table in reports.CSV_TABLES:
        for excel in ("", "?formaat=excel"):
            url = reverse("authoring:report_csv", args=[course.slug, table]) + excel
            body = client.get(url).content.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(body), delimiter=";" if excel else ","))
            expected = reports.csv_rows(fresh, table)
            if excel:
                expected = reports.excel_nl_rows(expected)
            assert rows == [[str(cell) for cell in row] for row in expected]
    assert reports.report_from_json(reports.report_to_json(fresh)) == fresh


def test_it_reads_the_page_in_the_same_queries_for_5_and_50_learners(
    client, report_course, django_assert_num_queries, django_capture_on_commit_callbacks
):
    course = report_course
    client.force_login(factories.make_author(course))
    with time_machine.travel(START, tick=False):
        page(client, course)
    for window, count in enumerate((5, 45), start=1):
        # A window apart, so each batch queues its refresh (which runs at once here: eager).
        at = START + datetime.timedelta(seconds=window * reports.REFRESH_DELAY_SECONDS)
        with time_machine.travel(at, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                for n in range(count):
                    new_learner(course, PATTERNS[f"l{n % 4 + 1}"])
            with django_assert_num_queries(5):  # session, user, course, snapshot, cache key
                response = page(client, course)
        assert response.context["report"].summary.enrollments == {1: 5, 2: 50}[window]
