"""The reminder after COURSE_REMINDER_DAYS without progress in an unfinished course: once per
inactivity period, never after completion, switched off in the profile or with one click from
the mail (a signed link that works logged out)."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from courses import services
from courses.learner_mail import REMINDER, send_learner_mail
from courses.models import Enrollment, Lesson
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

pytestmark = pytest.mark.django_db(transaction=True)

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def sweep(when: dt.datetime) -> list:
    """Run the management command at `when`; returns the reminders it sent."""
    before = len(mail.outbox)
    with time_machine.travel(when, tick=False):
        call_command("send_course_reminders", stdout=None)
    return [m for m in mail.outbox[before:] if m.subject.startswith("Ga verder met")]


def enrolled(email="herinner@example.org", slug="herinner"):
    course = factories.make_course(slug=slug, title="Cursus met geduld")
    learner = factories.make_user(email=email, first_name="Sanne")
    with time_machine.travel(START, tick=False):
        enrollment = services.enroll_learner(learner, course)
        lesson = enrollment.version.lessons_in_order().first()
        services.note_resume_point(enrollment, lesson.key)
    return learner, enrollment


def off_link(message) -> str:
    found = re.search(r"http://testserver(/accounts/herinneringen-uit/[^/\s]+/)", message.body)
    assert found, message.body
    return found[1]


def test_it_reminds_once_per_inactivity_period_with_a_one_click_switch_off(settings):
    settings.SITE_URL = "http://testserver"
    learner, enrollment = enrolled()
    assert sweep(START + dt.timedelta(days=13, hours=23)) == []  # not yet 14 days

    [reminder] = sweep(START + dt.timedelta(days=14, minutes=1))
    assert reminder.to == ["herinner@example.org"]
    assert reminder.subject == "Ga verder met Cursus met geduld"
    assert "Beste Sanne," in reminder.body
    assert "2 maart 2026" in reminder.body  # the last progress, in Dutch
    assert "http://testserver/cursus/herinner/" in reminder.body
    link = off_link(reminder)
    assert reminder.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"
    assert reminder.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    message = reminder.message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The next days' sweeps send nothing: one reminder per period without progress.
    assert sweep(START + dt.timedelta(days=15)) == []
    assert sweep(START + dt.timedelta(days=40)) == []

    # Progress starts a new period; 14 days after it, one new reminder.
    enrollment.refresh_from_db()
    services.note_resume_point(enrollment, "elders", now=START + dt.timedelta(days=41))
    assert sweep(START + dt.timedelta(days=54)) == []
    assert len(sweep(START + dt.timedelta(days=55, minutes=1))) == 1
    assert sweep(START + dt.timedelta(days=56)) == []


def test_it_never_reminds_after_completion_nor_a_learner_who_switched_off_nor_a_deleted_enrolment(
    settings,
):
    done_learner, done = enrolled("klaar@example.org", "klaar")
    with time_machine.travel(START + dt.timedelta(days=1), tick=False):
        for lesson in Lesson.objects.filter(module__version=done.version):
            services.complete_lesson(done, lesson)
        quiz = done.version.final_test
        attempt = services.start_attempt(done, quiz)
        services.submit_attempt(attempt.pk, correct_final_answers(quiz), done_learner)
    done.refresh_from_db()
    assert done.is_completed

    quiet, _quiet_enrollment = enrolled("stil@example.org", "stil")
    User.objects.filter(pk=quiet.pk).update(course_reminders=False)

    _gone_learner, gone = enrolled("weg@example.org", "weg")
    gone_pk = gone.pk
    gone.delete()

    mail.outbox.clear()
    assert sweep(START + dt.timedelta(days=30)) == []
    assert not Enrollment.objects.filter(pk=gone_pk).exists()

    # A reminder queued just before completion says nothing once the course is complete.
    assert send_learner_mail(done.pk, REMINDER) is False
    assert mail.outbox == []


def test_the_signed_link_asks_logged_out_and_switches_off_only_on_post(settings):
    settings.SITE_URL = "http://testserver"
    learner, _enrollment = enrolled()
    [reminder] = sweep(START + dt.timedelta(days=15))
    link = off_link(reminder)
    client = Client(enforce_csrf_checks=True)  # logged out, and CSRF enforced as in production
    clock = time_machine.travel(START + dt.timedelta(days=16))
    clock.start()

    page = client.get(link)  # what a mail scanner's prefetch does
    assert page.status_code == 200
    assert "Herinneringen uitzetten?" in page.content.decode()
    assert "herinner@example.org" in page.content.decode()
    assert "herinner@example.org" not in link  # the address stays out of the link (and logs)
    learner.refresh_from_db()
    assert learner.course_reminders is True  # a GET changes nothing

    # The button on the page (the form is a plain POST to the same link).
    form_action = re.search(r'<form method="post"', page.content.decode())
    assert form_action
    done = client.post(link)
    assert done.status_code == 200
    assert "Herinneringen staan uit" in done.content.decode()
    learner.refresh_from_db()
    assert learner.course_reminders is False
    clock.stop()
    assert sweep(START + dt.timedelta(days=60)) == []


def test_a_mail_programs_one_click_post_switches_off(settings):
    settings.SITE_URL = "http://testserver"
    learner, _enrollment = enrolled()
    [reminder] = sweep(START + dt.timedelta(days=15))
    with time_machine.travel(START + dt.timedelta(days=16)):
        response = Client(enforce_csrf_checks=True).post(
            off_link(reminder),
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 200
    learner.refresh_from_db()
    assert learner.course_reminders is False


def test_a_tampered_or_expired_link_is_refused_with_a_clear_page(settings):
    settings.SITE_URL = "http://testserver"
    learner, _enrollment = enrolled()
    other = factories.make_user(email="ander@example.org")
    with time_machine.travel(START, tick=False):
        token = learner.reminders_off_token()
    # Another learner's payload, with the original signature: refused.
    rest = token.split(":", 1)[1]
    forged = other.reminders_off_token().split(":", 1)[0] + ":" + rest
    client = Client(enforce_csrf_checks=True)
    for bad in (token[:-2] + "xx", forged, "zomaar-iets"):
        with time_machine.travel(START + dt.timedelta(days=1)):
            response = client.post(reverse("reminders_off", args=[bad]))
        assert response.status_code == 400
        assert "Deze link klopt niet" in response.content.decode()
        assert "Er is niets veranderd" in response.content.decode()
    with time_machine.travel(START + dt.timedelta(days=91)):
        response = client.post(reverse("reminders_off", args=[token]))
    assert response.status_code == 400
    assert "Deze link is verlopen" in response.content.decode()
    # A new e-mail address revokes the links sent to the old one.
    new = "nieuw@example.org"
    User.objects.filter(pk=learner.pk).update(email=new, username=new)
    with time_machine.travel(START + dt.timedelta(days=1)):
        response = client.post(reverse("reminders_off", args=[token]))
    assert response.status_code == 400
    for user in (learner, other):
        user.refresh_from_db()
        assert user.course_reminders is True


def test_the_learner_switches_reminders_off_and_on_in_the_profile(client):
    learner = factories.make_user(email="profiel@example.org", first_name="Ali", last_name="Kaya")
    client.force_login(learner)
    page = client.get(reverse("profile")).content.decode()
    assert 'name="profile-course_reminders"' in page
    assert "Herinneringen per e-mail" in page
    data = {
        "profile-first_name": "Ali",
        "profile-last_name": "Kaya",
        "profile-initials": "",
        "profile-surname_prefix": "",
        "profile-profession": "huisarts",
        "registers-TOTAL_FORMS": "0",
        "registers-INITIAL_FORMS": "0",
        "registers-MIN_NUM_FORMS": "0",
        "registers-MAX_NUM_FORMS": "1000",
    }
    assert client.post(reverse("profile"), data).status_code == 302
    learner.refresh_from_db()
    assert learner.course_reminders is False
    client.post(reverse("profile"), {**data, "profile-course_reminders": "on"})
    learner.refresh_from_db()
    assert learner.course_reminders is True


def test_beat_runs_the_same_sweep_hourly(settings):
    from courses.tasks import send_course_reminders_task

    entry = settings.CELERY_BEAT_SCHEDULE["send-course-reminders"]
    assert entry == {"task": "courses.send_course_reminders", "schedule": 3600.0}
    assert send_course_reminders_task.name == entry["task"]
    _learner, _enrollment = enrolled()
    with time_machine.travel(START + dt.timedelta(days=15), tick=False):
        # .result, not .get(): a Celery worker started earlier in this test process (xdist puts
        # several files in one) marks the process as a worker, where .get() refuses to block.
        result = send_course_reminders_task.apply()
        assert result.successful() and result.result == 1
    assert timezone.now()  # the clock is back
