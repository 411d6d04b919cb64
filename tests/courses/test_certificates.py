"""The certificate PDF, the completion page and the public verification page."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from pypdf import PdfReader

from courses import services
from courses.evaluations import record_evaluation
from courses.models import CourseCompletion, Lesson
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

pytestmark = pytest.mark.django_db

FROZEN = datetime(2026, 3, 14, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


@pytest.fixture
def completion(learner, course):
    learner.first_name, learner.last_name, learner.surname_prefix = "Noor", "Berg", "van den"
    learner.save()
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    with time_machine.travel(FROZEN, tick=False):
        services.submit_attempt(
            services.start_attempt(enrollment, quiz).pk, correct_final_answers(quiz), learner
        )
    record_evaluation(
        enrollment,
        {"relevance": 5, "quality": 4, "independence": 5, "minutes_spent": 90, "comment": ""},
    )
    return CourseCompletion.objects.get(enrollment=enrollment)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_it_lets_the_owner_download_a_certificate_with_what_accreditation_needs(
    client, learner, completion
):
    client.force_login(learner)
    response = client.get("/cursus/basis/certificaat.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="certificaat-basis-')
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Noor van den Berg" in text
    assert "Testcursus" in text
    assert "14 maart 2026" in text
    assert "Studiebelasting: 2 uur" in text
    assert "Aanbieder: Spreekkamer" in text and "Score eindtoets: 100%" in text
    # The version's free-text reference (a placeholder in the seed content) is never printed;
    # without an accreditation the certificate names none.
    assert "PE-123" not in text and "accreditatie-ID" not in text
    assert completion.verification_code in text
    assert f"/certificaat/{completion.verification_code}/" in text


def test_it_shows_the_completion_page_with_score_and_version(client, learner, completion):
    client.force_login(learner)
    html = client.get("/cursus/basis/afgerond/").content.decode()
    assert "Gefeliciteerd!" in html
    assert "100%" in html
    assert "versie 1" in html
    assert 'href="/cursus/basis/certificaat.pdf"' in html


def test_it_verifies_a_certificate_publicly_with_only_name_course_date_and_validity(
    client, completion
):
    response = client.get(f"/certificaat/{completion.verification_code}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Noor van den Berg" in html and "Testcursus" in html and "14 maart 2026" in html
    assert "Ja, dit certificaat is geldig." in html
    assert "learner@example.org" not in html  # no e-mail address
    assert "huisarts" not in html.lower().replace("huisartsenpraktijk", "")  # no profession
    assert "100%" not in html  # no score


def test_it_says_when_a_certificate_was_revoked(client, completion):
    CourseCompletion.objects.filter(pk=completion.pk).update(revoked_at=timezone.now())
    html = client.get(f"/certificaat/{completion.verification_code}/").content.decode()
    assert "Nee, dit certificaat is ingetrokken." in html


def test_it_answers_404_for_an_unknown_code(client, completion):
    assert client.get("/certificaat/bestaat-niet/").status_code == 404


def test_it_lists_completed_courses_with_certificate_links_on_the_dashboard(
    client, learner, completion
):
    other = factories.make_course(slug="tweede", title="Tweede cursus")
    services.enroll_learner(learner, other)
    client.force_login(learner)
    html = client.get("/dashboard/").content.decode()
    assert "Mijn certificaten" in html
    assert 'href="/cursus/basis/certificaat.pdf"' in html
    assert "Afgerond op 14 maart 2026" in html
    assert 'href="/cursus/tweede/verder/"' in html  # the active one has a resume link


def test_it_prints_each_registers_accreditation_with_the_learners_number_and_a_qr_code(
    client, learner, course, completion
):
    import datetime as dt
    from decimal import Decimal

    from accounts.models import RegisterNumber
    from records.models import CourseAccreditation

    learner.profession = "poh_s"
    learner.save(update_fields=["profession"])
    RegisterNumber.objects.create(user=learner, register="vvn", number="246810")
    common = {"points": Decimal("2"), "study_load_hours": 2, "valid_from": dt.date(2026, 1, 1)}
    CourseAccreditation.objects.create(course=course, register="vvn", pe_course_id="4711", **common)
    CourseAccreditation.objects.create(
        course=course, register="nvvpo", pe_course_id="815", **common
    )
    CourseAccreditation.objects.create(course=course, register="big", pe_course_id="999", **common)
    client.force_login(learner)
    text = pdf_text(client.get("/cursus/basis/certificaat.pdf").content)
    assert "orgID 52): accreditatie-ID 4711, 2 punten, registratienummer 246810" in text
    assert "orgID 26): accreditatie-ID 815, 2 punten, geen geldig registratienummer" in text
    assert "accreditatie-ID 999" not in text  # KNMG/GAIA does not take a POH-S
    html = client.get("/cursus/basis/afgerond/").content.decode()
    assert "246810" in html and "4711" in html and "<svg" in html
    assert "PE-123" not in html
    page = client.get("/cursus/basis/").content.decode()
    assert "PE-123" not in page and "2 punten" in page
    catalog = client.get("/").content.decode()
    assert "geaccrediteerd" in catalog


def test_the_catalog_claims_no_accreditation_without_one(client, learner, course):
    client.force_login(learner)
    html = client.get("/").content.decode()
    assert "geaccrediteerd" not in html.lower().replace("niet geaccrediteerd", "")
    assert "PE-123" not in client.get("/cursus/basis/").content.decode()
