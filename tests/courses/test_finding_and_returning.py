"""Finding and returning: catalog and glossary search, a clear page for an unknown certificate
code, and a dashboard that says where to go on."""

import pytest
from django.urls import reverse

from courses import publishing, services
from courses.models import CourseVersion, GlossaryTerm, LearningTrack, Lesson, TrackCourse
from tests import factories
from tests.courses.learning_fixtures import correct_final_answers

pytestmark = pytest.mark.django_db


def complete_course(learner, course):
    enrollment = services.enroll_learner(learner, course)
    for lesson in Lesson.objects.filter(module__version=enrollment.version):
        services.complete_lesson(enrollment, lesson)
    quiz = enrollment.version.final_test
    attempt = services.start_attempt(enrollment, quiz)
    services.submit_attempt(attempt.pk, correct_final_answers(quiz), learner)
    return enrollment


def test_it_finds_courses_by_title_summary_and_objective(client):
    factories.make_course(slug="intersekse", title="Intersekse in de praktijk")
    trans = factories.make_course(slug="trans", title="Transgender zorg")
    CourseVersion.objects.filter(course=trans).update(
        learning_objectives=["Je kunt een verwijsbrief naar het genderteam schrijven"]
    )
    page = client.get(reverse("courses:catalog"), {"q": "intersekse"}).content.decode()
    assert "Intersekse in de praktijk" in page and "Transgender zorg" not in page
    page = client.get(reverse("courses:catalog"), {"q": "Verwijsbrief genderteam"}).content.decode()
    assert "Transgender zorg" in page and "Intersekse in de praktijk" not in page
    page = client.get(reverse("courses:catalog"), {"q": "samenvatting"}).content.decode()
    assert "2 cursussen gevonden" in page
    page = client.get(reverse("courses:catalog"), {"q": "niets dergelijks"}).content.decode()
    assert "Geen cursus gevonden" in page


def test_it_finds_glossary_terms_by_name_and_definition(client):
    GlossaryTerm.objects.create(term="Cisgender", definition="<p>Genderidentiteit past bij…</p>")
    GlossaryTerm.objects.create(term="PrEP", definition="<p>Pil tegen hiv vooraf</p>")
    page = client.get(reverse("courses:glossary"), {"q": "hiv"}).content.decode()
    assert "PrEP" in page and "Cisgender" not in page
    page = client.get(reverse("courses:glossary"), {"q": "cis"}).content.decode()
    assert "Cisgender" in page and "PrEP" not in page


def test_it_explains_an_unknown_certificate_code_instead_of_a_bare_404(client):
    response = client.get(reverse("courses:verify_certificate", args=["ABC-123"]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "Certificaat niet gevonden" in page
    assert "ABC-123" in page and "Wat kun je controleren?" in page


def test_it_shows_unfinished_courses_certificates_and_the_next_course_of_the_track(client):
    learner = factories.make_user()
    done = factories.make_course(slug="basis", title="Basiscursus")
    busy = factories.make_course(slug="verdieping", title="Verdieping")
    next_up = factories.make_course(slug="vervolg", title="Vervolgcursus")
    track = LearningTrack.objects.create(slug="lijn", title="Leerlijn")
    for position, course in enumerate((done, busy, next_up)):
        TrackCourse.objects.create(track=track, course=course, position=position)
    complete_course(learner, done)
    services.enroll_learner(learner, busy)
    client.force_login(learner)
    response = client.get(reverse("courses:dashboard"))
    active = [e.course.slug for e in response.context["active"]]
    assert active == ["verdieping"]
    page = response.content.decode()
    assert "Vervolgcursus" in page and "Volgende stap" in page  # the leerlijn, in order
    assert "Mijn certificaten" in page
    assert reverse("courses:certificate_pdf", args=["basis"]) in page
    assert page.count("Verder met") + page.count(">Beginnen<") == 2  # heading + one course


def test_it_lists_objectives_once_without_repeating_je_kunt(client):
    course = factories.make_course(slug="doelen")
    CourseVersion.objects.filter(course=course).update(
        learning_objectives=["Je kunt uitleggen wat LHBTI+ betekent", "Je kunt doorverwijzen"]
    )
    page = client.get(course.get_absolute_url()).content.decode()
    assert "Na deze cursus kun je:" in page
    assert "<li>uitleggen wat LHBTI+ betekent</li>" in page
    assert "Je kunt doorverwijzen" not in page


def test_it_links_glossary_terms_in_lesson_text_with_their_definition(client):
    course = factories.make_course(slug="begrippen-les", publish=False)
    lesson = Lesson.objects.get(module__version__course=course, key="les-1")
    block = lesson.blocks.get()
    type(block).objects.filter(pk=block.pk).update(
        html="<h2>Cisgender</h2><p>Een cisgender patiënt; nog eens cisgender.</p>"
    )
    term = GlossaryTerm.objects.create(term="Cisgender", definition="<p>Past bij de sekse.</p>")
    term.courses.add(course)
    GlossaryTerm.objects.create(term="patiënt", definition="<p>Niet bij deze cursus</p>")
    # A published version links the terms it was published with (courses.publishing).
    publishing.swap_published_version(course.versions.get())
    course.refresh_from_db()
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    page = client.get(reverse("courses:lesson", args=[course.slug, "les-1"])).content.decode()
    link = (
        f'href="/begrippen/?cursus={course.slug}&amp;versie=1#begrip-{term.pk}" '
        f'data-term="term-{term.pk}"'
    )
    assert page.count(link) == 1  # the first occurrence in text, not the heading
    assert f'<a class="term" {link}>cisgender</a> patiënt' in page
    assert f'id="term-{term.pk}" data-title="Cisgender"><p>Past bij de sekse.</p>' in page
    assert "Niet bij deze cursus" not in page
