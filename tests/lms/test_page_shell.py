"""Learner pages inside the pre-rendered base.html (lms.page_shell) are the pages a full render
gives."""

import re

import pytest

from lms import page_shell
from tests import factories
from tests.courses.test_catalog_views import learner_with_saved_state

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def fully_rendered(client, path, monkeypatch):
    """The page as `render()` gives it: the shell is not used."""
    with monkeypatch.context() as patched:
        patched.setattr(page_shell, "page_blocks", lambda name: None)
        return client.get(path).content.decode()


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("staff", [False, True])
def test_it_serves_the_same_html_as_a_full_render(client, monkeypatch, language, staff):
    learner, paths = learner_with_saved_state(2)
    if staff:
        learner.is_staff = True
        learner.save(update_fields=["is_staff"])
    client.force_login(learner)
    if language == "en":
        client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    for path in [*paths.values(), "/?q=cursus"]:
        expected = fully_rendered(client, path, monkeypatch)
        html = client.get(path).content.decode()
        assert TOKEN.sub("token", html) == TOKEN.sub("token", expected), path
        assert len(TOKEN.findall(html)) == len(TOKEN.findall(expected)) >= 2
        # One token for all the page's forms, as a full render has.
        assert len(set(TOKEN.findall(html))) == 1
    assert f'lang="{language}"' in html
    assert ("Auteursomgeving" in html or "Author area" in html) == staff


def test_it_serves_the_shell_to_visitors_and_escapes_the_path(client, monkeypatch):
    factories.make_course(slug="basis")
    path = "/?q=%22%3E%3Cscript%3E"
    html = client.get(path).content.decode()
    assert html == TOKEN.sub(TOKEN.search(html).group(), fully_rendered(client, path, monkeypatch))
    assert '"><script>' not in html and "Inloggen" in html


def test_it_renders_a_page_with_messages_in_full(client, monkeypatch):
    learner = factories.make_user()
    factories.make_course(slug="basis")
    client.force_login(learner)
    shell_for = page_shell.shell_for
    calls = []
    monkeypatch.setattr(
        page_shell, "shell_for", lambda request: calls.append(request) or shell_for(request)
    )
    assert "Inschrijven" in client.get("/cursus/basis/").content.decode()
    assert len(calls) == 1  # no messages: the shell is used
    client.post("/cursus/basis/inschrijven/")  # leaves a flash message
    html = client.get("/cursus/basis/").content.decode()
    assert len(calls) == 1 and 'class="messages"' in html and "Veel leerplezier" in html
