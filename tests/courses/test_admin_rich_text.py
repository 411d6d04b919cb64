"""Glossary terms, tracks and masterclasses get the author area's rich-text editor in the admin,
and what is posted there is sanitised on save like every other author HTML."""

import re

import pytest
from django.urls import reverse

from courses.models import GlossaryTerm, LearningTrack, LiveSessionType
from tests import factories

pytestmark = pytest.mark.django_db

UNSAFE = '<p onclick="steal()">Veilig <b>vet</b></p><script>alert(1)</script>'


@pytest.fixture
def admin_client(client):
    client.force_login(factories.make_user(is_staff=True, is_superuser=True))
    return client


def _objects():
    term = GlossaryTerm.objects.create(term="Bias", definition="<p>Vooroordeel</p>")
    track = LearningTrack.objects.create(slug="leerlijn", title="Leerlijn", description="")
    session_type = LiveSessionType.objects.create(
        slug="masterclass", title="Masterclass", description="", study_load_hours=2
    )
    return [
        (term, "definition", {"term": "Bias"}),
        (track, "description", {"slug": "leerlijn", "title": "Leerlijn"}),
        (
            session_type,
            "description",
            {
                "slug": "masterclass",
                "title": "Masterclass",
                "study_load_hours": "2",
                "editions-TOTAL_FORMS": "0",
                "editions-INITIAL_FORMS": "0",
                "editions-MIN_NUM_FORMS": "0",
                "editions-MAX_NUM_FORMS": "1000",
            },
        ),
    ]


def _change_url(obj):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def test_it_renders_the_rich_text_editor_on_each_admin_change_form(admin_client):
    for obj, field, _data in _objects():
        response = admin_client.get(_change_url(obj))
        assert response.status_code == 200
        page = response.content.decode()
        textarea = re.search(rf'<textarea[^>]*name="{field}"[^>]*>', page)
        assert textarea, type(obj).__name__
        assert "data-rich-text" in textarea.group(), type(obj).__name__
        assert 'id="rich-text-config"' in page
        assert "js/rich_text.js" in page
        assert "django_prose_editor/editor.css" in page


def test_it_strips_scripts_and_event_handlers_posted_in_the_admin(admin_client):
    for obj, field, data in _objects():
        response = admin_client.post(_change_url(obj), {**data, field: UNSAFE})
        assert response.status_code == 302, response.context["adminform"].form.errors
        obj.refresh_from_db()
        saved = getattr(obj, field)
        assert "<b>vet</b>" in saved
        assert "script" not in saved
        assert "onclick" not in saved
        assert "alert" not in saved


def test_it_turns_plain_text_posted_in_the_admin_into_paragraphs(admin_client):
    obj, field, data = _objects()[0]
    admin_client.post(_change_url(obj), {**data, field: "Eerste alinea.\n\nTweede alinea."})
    obj.refresh_from_db()
    assert getattr(obj, field) == "<p>Eerste alinea.</p><p>Tweede alinea.</p>"
