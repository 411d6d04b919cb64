"""Drag and drop in the lesson editor (SortableJS) in a real chromium: one move, one request."""

import os

import pytest

from courses import publishing
from courses.models import Block, Lesson
from tests import factories
from tests.browser.conftest import drag_above, login

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_drags_a_block_to_the_top(live_server, page):
    course = factories.make_course(slug="basis")
    author = factories.make_author(course, email="auteur@example.org")
    draft = publishing.create_draft(course, author)
    lesson = Lesson.objects.get(module__version=draft, key="les-1")
    factories.add_every_block_kind(lesson, start=1)
    keys = list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", flat=True)
    )
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)

    login(page, live_server, author, next_path="/auteur/basis/lessen/les-1/")
    response = drag_above(
        page, page.locator(f"#block-{keys[2]} .drag-handle"), page.locator(f"#block-{keys[0]}")
    )
    assert response.status == 204
    page.wait_for_load_state("load")
    order = list(
        Block.objects.filter(lesson=lesson).order_by("position").values_list("key", flat=True)
    )
    assert order == [keys[2], keys[0], keys[1], *keys[3:]]
    assert len([u for u in posts if u.endswith(f"/blokken/{keys[2]}/verplaatsen/")]) == 1
