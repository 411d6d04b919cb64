import datetime as dt
import io
import re
import threading
from datetime import timedelta
from functools import partial

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from pypdf import PdfReader

from courses import services
from courses.models import (
    LearningTrack,
    LiveSessionRegistration,
    TrackCourse,
    TrackLiveSession,
)
from tests import factories
from tests.courses.live_fixtures import make_edition
from tests.threads_support import run_in_threads

pytestmark = pytest.mark.django_db

Status = LiveSessionRegistration.Status


def test_it_registers_until_full_then_waitlists_and_promotes_on_cancel():
    edition = make_edition(capacity=2)
    a, b, c, d = (factories.make_user() for _ in range(4))
    ra = services.register_for_edition(a, edition)
    services.register_for_edition(b, edition)
    rc = services.register_for_edition(c, edition)
    rd = services.register_for_edition(d, edition)
    assert (ra.status, rc.status, rd.status) == (
        Status.REGISTERED,
        Status.WAITLISTED,
        Status.WAITLISTED,
    )
    promoted = services.cancel_registration(ra)
    assert promoted.pk == rc.pk  # first in line
    rc.refresh_from_db()
    rd.refresh_from_db()
    assert (rc.status, rd.status) == (Status.REGISTERED, Status.WAITLISTED)
    assert services.cancel_registration(rd) is None  # leaving the waiting list frees nothing
    # Registering again after cancelling queues anew.
    again = services.register_for_edition(a, edition)
    assert again.pk == ra.pk and again.status == Status.WAITLISTED


def test_it_mails_a_confirmation_with_a_calendar_file_and_tells_the_promoted(
    django_capture_on_commit_callbacks,
):
    edition = make_edition(capacity=1)
    first, second = factories.make_user(), factories.make_user()
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.register_for_edition(first, edition)
        services.register_for_edition(second, edition)
    assert [m.to for m in mail.outbox] == [[first.email], [second.email]]
    assert mail.outbox[0].attachments[0][0].endswith(".ics")
    assert "wachtlijst" in mail.outbox[1].subject.lower()
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_registration(registration)
    assert mail.outbox[-1].to == [second.email] and "plaats vrij" in mail.outbox[-1].subject


def test_it_refuses_registration_after_the_deadline():
    edition = make_edition()
    with time_machine.travel(edition.registration_deadline + timedelta(minutes=1)):
        with pytest.raises(services.RegistrationClosed):
            services.register_for_edition(factories.make_user(), edition)


@pytest.mark.django_db(transaction=True)
def test_it_never_exceeds_the_capacity_under_concurrent_registrations():
    edition = make_edition(capacity=3)
    users = [factories.make_user() for _ in range(12)]
    barrier = threading.Barrier(len(users))

    def worker(user):
        barrier.wait()
        services.register_for_edition(user, edition)

    run_in_threads(*[partial(worker, user) for user in users])
    statuses = list(edition.registrations.values_list("status", flat=True))
    assert statuses.count(Status.REGISTERED) == 3 and statuses.count(Status.WAITLISTED) == 9


@pytest.mark.django_db(transaction=True)
def test_it_promotes_exactly_one_per_freed_place_under_concurrent_cancellations():
    edition = make_edition(capacity=4)
    users = [factories.make_user() for _ in range(10)]
    registrations = [services.register_for_edition(u, edition) for u in users]
    leaving = registrations[:4]
    barrier = threading.Barrier(len(leaving))

    def worker(registration):
        barrier.wait()
        services.cancel_registration(registration)

    run_in_threads(*[partial(worker, registration) for registration in leaving])
    registered = edition.registrations.filter(status=Status.REGISTERED)
    assert registered.count() == 4
    assert set(registered.values_list("pk", flat=True)) == {r.pk for r in registrations[4:8]}


def test_it_serves_a_calendar_file_to_a_registered_learner_only(client):
    edition = make_edition()
    learner = factories.make_user()
    services.register_for_edition(learner, edition)
    url = reverse("courses:live_calendar", args=[edition.session_type.slug, edition.pk])
    client.force_login(factories.make_user())
    assert client.get(url).status_code == 404
    client.force_login(learner)
    response = client.get(url)
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/calendar")
    assert "BEGIN:VEVENT" in body and f"UID:edition-{edition.pk}@" in body
    assert "DTSTART:" + edition.starts_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in body
    assert "\r\n" in body and "LOCATION:Utrecht" in body


def test_it_registers_and_cancels_through_the_page(client):
    edition = make_edition(capacity=1)
    learner = factories.make_user()
    client.force_login(learner)
    slug = edition.session_type.slug
    page = client.get(reverse("courses:live_session", args=[slug]))
    assert "Nog 1 plaats vrij" in page.content.decode()
    client.post(reverse("courses:live_register", args=[slug, edition.pk]))
    registration = LiveSessionRegistration.objects.get(user=learner)
    assert registration.status == Status.REGISTERED
    client.post(reverse("courses:live_cancel", args=[slug, edition.pk]))
    registration.refresh_from_db()
    assert registration.status == Status.CANCELLED


def test_it_lets_the_trainer_tick_attendance_and_nobody_else(client):
    edition = make_edition()
    trainer = factories.make_user()
    edition.trainers.add(trainer)
    present, absent = factories.make_user(), factories.make_user()
    rp = services.register_for_edition(present, edition)
    ra = services.register_for_edition(absent, edition)
    url = reverse("courses:live_attendance", args=[edition.session_type.slug, edition.pk])
    client.force_login(present)
    assert client.get(url).status_code == 404
    client.force_login(trainer)
    assert present.email in client.get(url).content.decode() or client.get(url).status_code == 200
    client.post(url, {"present": [rp.pk]})
    rp.refresh_from_db()
    ra.refresh_from_db()
    assert rp.attended_at is not None and ra.attended_at is None


def test_it_checks_in_by_the_room_code_only_while_the_session_runs(client):
    edition = make_edition()
    learner = factories.make_user()
    registration = services.register_for_edition(learner, edition)
    with time_machine.travel(edition.starts_at + timedelta(minutes=5)):
        token = services.check_in_token(edition)
        services.check_in(learner, edition, token)
        with pytest.raises(services.CheckInRefused):  # no place, no presence
            services.check_in(factories.make_user(), edition, token)
    registration.refresh_from_db()
    assert registration.attended_at is not None
    with time_machine.travel(edition.ends_at + timedelta(minutes=1)):
        with pytest.raises(services.CheckInRefused):
            services.check_in(learner, edition, services.check_in_token(edition))
    with time_machine.travel(edition.starts_at + timedelta(minutes=5)):
        with pytest.raises(services.CheckInRefused):
            services.check_in(learner, edition, "forged:token")


def test_it_sends_one_reminder_per_place_a_day_before(django_capture_on_commit_callbacks):
    edition = make_edition(starts_in=timedelta(hours=20))
    learner = factories.make_user()
    services.register_for_edition(learner, edition)
    mail.outbox.clear()
    assert services.send_edition_reminders() == 1
    assert services.send_edition_reminders() == 0
    assert len(mail.outbox) == 1 and "Herinnering" in mail.outbox[0].subject


def test_it_gives_a_certificate_for_an_attended_session(client):
    edition = make_edition()
    learner = factories.make_user(first_name="Noor", last_name="Bakker")
    registration = services.register_for_edition(learner, edition)
    url = reverse("courses:live_certificate", args=[edition.session_type.slug, edition.pk])
    client.force_login(learner)
    assert client.get(url).status_code == 404
    services.record_attendance(edition, [registration.pk])
    response = client.get(url)
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Noor Bakker" in text and "Masterclass bias" in text


def test_it_shows_the_whole_leerlijn_on_the_dashboard(client, django_assert_num_queries):
    course = factories.make_course(slug="basis")
    track = LearningTrack.objects.create(slug="lijn", title="Leerlijn")
    TrackCourse.objects.create(track=track, course=course, position=0)
    edition = make_edition()
    TrackLiveSession.objects.create(track=track, session_type=edition.session_type, position=1)
    learner = factories.make_user()
    services.register_for_edition(learner, edition)
    client.force_login(learner)
    client.get(reverse("courses:dashboard"))
    # Session, user, enrolments with their completed lessons (none) and masterclass places (one
    # query); tracks with their courses and their masterclasses (in memory: the generation token,
    # a query with the tests' database cache).
    with django_assert_num_queries(4):
        html = client.get(reverse("courses:dashboard")).content.decode()
    assert "Mijn leerlijn" in html
    assert "Masterclass bias" in html and "Ingeschreven voor" in html
    assert "Volgende stap" in html


def test_it_frees_places_and_forgets_unattended_registrations_on_account_deletion():
    from accounts.services import delete_learner_account

    edition = make_edition(capacity=1)
    past = make_edition(capacity=5, slug="masterclass-bejegening")
    leaving, waiting = factories.make_user(), factories.make_user()
    services.register_for_edition(leaving, edition)
    waiting_reg = services.register_for_edition(waiting, edition)
    attended = services.register_for_edition(leaving, past)
    services.record_attendance(past, [attended.pk])
    delete_learner_account(leaving)
    waiting_reg.refresh_from_db()
    assert waiting_reg.status == Status.REGISTERED
    assert list(LiveSessionRegistration.objects.filter(user=leaving)) == [attended]


def test_it_puts_masterclass_registrations_in_the_learners_data_download():
    from accounts.services import export_learner_data

    edition = make_edition()
    learner = factories.make_user()
    services.register_for_edition(learner, edition)
    data = export_learner_data(learner)
    assert data["masterclass_registrations"][0]["masterclass"] == "masterclass-bias"
    assert data["masterclass_registrations"][0]["status"] == "registered"


def test_it_shows_each_learner_their_own_masterclass_steps_on_the_dashboard(client):
    """The leerlijn's steps come from the dashboard's one query and are rendered once per state:
    a place booked, on the waiting list, attended (with its certificate), missed or cancelled."""
    track = LearningTrack.objects.create(slug="lijn", title="Leerlijn")
    booked = make_edition(capacity=1, slug="geboekt")
    full = make_edition(capacity=1, slug="vol")
    attended = make_edition(starts_in=timedelta(days=-30), slug="bijgewoond")
    later = make_edition(slug="bijgewoond")  # the same masterclass again: attended stays done
    missed = make_edition(starts_in=timedelta(days=-30), slug="gemist")
    cancelled = make_edition(slug="afgezegd")
    for position, edition in enumerate((booked, full, attended, missed, cancelled)):
        TrackLiveSession.objects.create(
            track=track, session_type=edition.session_type, position=position
        )
    learner, other = factories.make_user(), factories.make_user()
    services.register_for_edition(other, full)
    services.register_for_edition(learner, booked)
    services.register_for_edition(learner, full)  # waiting list
    services.register_for_edition(learner, later)
    services.cancel_registration(services.register_for_edition(learner, cancelled))
    for past in (attended, missed):  # the deadline has passed: placed directly
        LiveSessionRegistration.objects.create(edition=past, user=learner, status=Status.REGISTERED)
    services.record_attendance(
        attended, [LiveSessionRegistration.objects.get(edition=attended, user=learner).pk]
    )

    def steps(user) -> list[str]:
        client.force_login(user)
        html = client.get(reverse("courses:dashboard")).content.decode()
        found = re.findall(r'<li class="track-step.*?</li>', html, flags=re.S)
        return [" ".join(re.sub(r"<[^>]+>", " ", step).split()) for step in found]

    def day(edition) -> str:
        return date_format(timezone.localtime(edition.starts_at), "j F Y")

    certificate = reverse("courses:live_certificate", args=["bijgewoond", attended.pk])
    assert steps(learner) == [
        f"Masterclass bias masterclass – Ingeschreven voor {day(booked)} Volgende stap",
        f"Masterclass bias masterclass – Op de wachtlijst voor {day(full)}",
        f"Masterclass bias masterclass – Aanwezig op {day(attended)} · Certificaat (pdf) – "
        "Masterclass bias",
        "Masterclass bias masterclass – Nog niet begonnen",
        "Masterclass bias masterclass – Nog niet begonnen",
    ]
    assert certificate in client.get(reverse("courses:dashboard")).content.decode()
    assert steps(other) == [
        "Masterclass bias masterclass – Nog niet begonnen Volgende stap",
        f"Masterclass bias masterclass – Ingeschreven voor {day(full)}",
        "Masterclass bias masterclass – Nog niet begonnen",
        "Masterclass bias masterclass – Nog niet begonnen",
        "Masterclass bias masterclass – Nog niet begonnen",
    ]
