"""Rich-text fields in the author area: the editor's textarea, and plain text as paragraphs."""

import pytest
from django.urls import reverse

from courses import publishing
from courses.models import GlossaryTerm, RichTextBlock

pytestmark = pytest.mark.django_db


def test_it_saves_plain_text_with_blank_lines_as_paragraphs(client, course, author):
    draft = publishing.create_draft(course, author)
    client.force_login(author)
    url = reverse("authoring:block_create", args=["basis", "les-1", "text"])
    client.post(url, {"html": "Eerste alinea.\n\nTweede alinea <b>niet</b> opgemaakt."})
    block = RichTextBlock.objects.get(lesson__module__version=draft, key="text")
    assert block.html == "<p>Eerste alinea.</p><p>Tweede alinea <b>niet</b> opgemaakt.</p>"


def test_it_offers_the_editor_and_the_glossary_terms_on_rich_text_fields(client, course, author):
    publishing.create_draft(course, author)
    GlossaryTerm.objects.create(term="Genderdysforie", definition="<p>Lijden</p>")
    client.force_login(author)
    page = client.get(reverse("authoring:block_create", args=["basis", "les-1", "text"]))
    html = page.content.decode()
    assert "data-rich-text" in html and "js/rich_text.js" in html
    assert '"term": "Genderdysforie"' in html
    assert "/begrippen/#begrip-" in html
    assert " required" not in html.split('name="html"')[1].split(">")[0]
