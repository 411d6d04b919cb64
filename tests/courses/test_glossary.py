import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape

from courses import lesson_pages, publishing, services
from courses.models import GlossaryTerm, RichTextBlock
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_terms_and_narrows_them_to_a_course(client):
    course = factories.make_course(slug="basis")
    used = GlossaryTerm.objects.create(
        term="Cisgender", definition="<p>Genderidentiteit past bij sekse.</p>"
    )
    used.courses.add(course)
    GlossaryTerm.objects.create(
        term="Intersekse", definition="<p>Variaties in geslachtskenmerken.</p>"
    )

    everything = client.get(reverse("courses:glossary")).content.decode()
    assert "Cisgender" in everything and "Intersekse" in everything

    narrowed = client.get(reverse("courses:glossary") + "?cursus=basis").content.decode()
    assert "Cisgender" in narrowed and "Intersekse" not in narrowed
    assert client.get(reverse("courses:glossary") + "?cursus=bestaat-niet").status_code == 404


def term_popover(page: str, pk: int) -> str:
    """The definition in the lesson page's popover of term `pk` ("" when the page has none)."""
    found = re.search(rf'<div id="term-{pk}" data-title="[^"]*">(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def test_a_published_lesson_keeps_the_glossary_definitions_it_was_approved_with(client):
    course = factories.make_course(slug="basis", lessons=1, publish=False)
    version = course.versions.get()
    term = GlossaryTerm.objects.create(term="Cisgender", definition="<p>Goedgekeurd.</p>")
    term.courses.add(course)
    RichTextBlock.objects.filter(lesson__module__version=version).update(
        html="<p>Wat betekent cisgender voor de zorg?</p>"
    )
    publishing.swap_published_version(version)
    course.refresh_from_db()
    learner = factories.make_user()
    services.enroll_learner(learner, course)
    client.force_login(learner)
    lesson_url = reverse("courses:lesson", args=["basis", "les-1"])
    version_glossary = reverse("courses:glossary") + "?cursus=basis&versie=1"

    page = client.get(lesson_url).content.decode()
    assert term_popover(page, term.pk) == "<p>Goedgekeurd.</p>"
    assert f'href="{escape(version_glossary)}#begrip-{term.pk}"' in page

    # The shared term changes after publication (and the lesson cache is empty again).
    term.definition = "<p>Later herschreven.</p>"
    term.save()
    cache.clear()
    lesson_pages.forget_local()

    page = client.get(lesson_url).content.decode()
    assert term_popover(page, term.pk) == "<p>Goedgekeurd.</p>"
    assert "Later herschreven" not in page
    linked = client.get(version_glossary).content.decode()
    assert "Goedgekeurd." in linked and "Later herschreven" not in linked
    # The shared glossary shows the term as it is now; a new draft links the new definition.
    assert "Later herschreven." in client.get(reverse("courses:glossary")).content.decode()
    draft = publishing.create_draft(course, factories.make_author(course))
    assert [t.definition for t in draft.glossary_terms()] == ["<p>Later herschreven.</p>"]

    # Even a deleted term stays in the published version's lesson and glossary.
    pk = term.pk
    term.delete()
    cache.clear()
    lesson_pages.forget_local()
    assert term_popover(client.get(lesson_url).content.decode(), pk) == "<p>Goedgekeurd.</p>"
    assert "Goedgekeurd." in client.get(version_glossary).content.decode()
    assert "Cisgender" not in client.get(reverse("courses:glossary")).content.decode()
    assert client.get(reverse("courses:glossary") + "?cursus=basis&versie=9").status_code == 404
