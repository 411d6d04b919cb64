"""A masterclass in a real chromium: a learner registers for an edition, the trainer ticks who is
present on a phone (390 px), and the learner finds the attendance and the certificate on the
dashboard; the certificate's code verifies publicly."""

import io
import os
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from courses.models import LearningTrack, TrackCourse, TrackLiveSession
from tests import factories
from tests.browser.conftest import login
from tests.courses.live_fixtures import make_edition

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_learner_registers_the_trainer_ticks_attendance_on_a_phone_and_the_certificate_shows(
    live_server, browser
):
    course = factories.make_course(slug="basis")
    edition = make_edition(capacity=12, starts_in=timedelta(days=3))
    track = LearningTrack.objects.create(slug="inclusief", title="Inclusieve Gezondheidszorg")
    TrackCourse.objects.create(track=track, course=course, position=0)
    TrackLiveSession.objects.create(track=track, session_type=edition.session_type, position=1)
    learner = factories.make_user(
        email="noor@example.org", first_name="Noor", last_name="Bakker", profession="huisarts"
    )
    other = factories.make_user(
        email="ahmed@example.org", first_name="Ahmed", last_name="Aydin", profession="huisarts"
    )
    trainer = factories.make_user(email="trainer@example.org", first_name="Tess", last_name="Train")
    edition.trainers.add(trainer)
    masterclass = f"/masterclass/{edition.session_type.slug}/"

    learner_context = browser.new_context(locale="nl-NL", accept_downloads=True)
    trainer_context = browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        # The learner registers for the edition and sees it on the dashboard.
        page = learner_context.new_page()
        page.set_default_timeout(15000)
        login(page, live_server, learner, next_path=masterclass)
        card = page.locator(f"#uitvoering-{edition.pk}")
        card.get_by_role("button", name="Inschrijven").click()
        page.get_by_text("Je bent ingeschreven.").wait_for()
        assert card.locator(".status").inner_text().startswith("Ingeschreven")
        page.goto(f"{live_server.url}/dashboard/")
        step = page.locator(".track-step", has_text="Masterclass bias")
        assert "Ingeschreven voor" in step.inner_text()

        # A second learner registers too (through the service; only Noor is ticked).
        from courses import services

        services.register_for_edition(other, edition)

        # The trainer takes attendance on a phone: a tick list that fits 390 px.
        phone = trainer_context.new_page()
        phone.set_default_timeout(15000)
        attendance = f"{masterclass}{edition.pk}/presentie/"
        login(phone, live_server, trainer, next_path=attendance)
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390
        noor = phone.get_by_label("Noor Bakker")
        ahmed = phone.get_by_label("Ahmed Aydin")
        assert not noor.is_checked() and not ahmed.is_checked()
        box = noor.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        noor.tap()
        phone.get_by_role("button", name="Presentie bewaren").tap()
        phone.get_by_text("Presentie bewaard: 1 aanwezig.").wait_for()
        assert phone.get_by_label("Noor Bakker").is_checked()
        assert not phone.get_by_label("Ahmed Aydin").is_checked()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390

        # The learner sees the attendance and the certificate on the dashboard.
        page.goto(f"{live_server.url}/dashboard/")
        step = page.locator(".track-step", has_text="Masterclass bias")
        assert re.search(r"Aanwezig op \d{1,2} \w+ \d{4}", step.inner_text())
        with page.expect_download() as download_info:
            step.get_by_role("link", name=re.compile("Certificaat")).click()
        pdf = download_info.value.path().read_bytes()
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert "Noor Bakker" in text and "Masterclass bias" in text
        code = re.search(r"Verificatiecode: (\S+)", text).group(1)

        # Anyone can verify the certificate with its code.
        page.goto(f"{live_server.url}/certificaat/{code}/")
        assert "aanwezig bij deze masterclass" in page.content()
        assert "Noor Bakker" in page.locator("dl.facts").inner_text()
    finally:
        learner_context.close()
        trainer_context.close()
