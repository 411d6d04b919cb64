"""Partial templates rendered once per process for each key, language and time zone.

A learner page is made of pieces that are the same for every learner in the same state: a
published version's introduction, a lesson's row in a course's contents as done, started or
new, a course's card on the dashboard at a given progress. Rendering them costs more per request
than the page's queries. A page's `Fragments` renders such a partial from its own context (no
request, no context processors) the first time its key is asked for, and serves the HTML from
process memory after that.

The caller's key must decide everything the partial shows from its context: a published
version's id (its content never changes: STYLE 3), a course's slug, and the learner-state values
the partial reads. Keys are never invalidated; beyond LIMIT the oldest are dropped. Templates
and translations change only with a deploy (a new process). Keyed by nothing (`key=None`, an
author's draft), a partial is rendered every time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

LIMIT = 20_000  # a bound on memory only (a few hundred bytes each)

_lock = threading.Lock()
_rendered: OrderedDict[tuple, SafeString] = OrderedDict()


class Fragments:
    """Renders the partials of one page, in the language and time zone active when it is made
    (read once: a page renders dozens of partials)."""

    def __init__(self) -> None:
        self.scope = (translation.get_language(), timezone.get_current_timezone_name())

    def __call__(self, template_name: str, key: Hashable | None, context: dict) -> SafeString:
        """`template_name` rendered with `context` alone: from this process's memory when it
        was rendered for `key` (in this language and time zone) before."""
        if key is None:
            return _render(template_name, context)
        full_key = (template_name, *self.scope, key)
        html = _rendered.get(full_key)
        if html is None:
            html = _render(template_name, context)
            with _lock:
                _rendered[full_key] = html
                while len(_rendered) > LIMIT:
                    _rendered.popitem(last=False)
        return html


def _render(template_name: str, context: dict) -> SafeString:
    # No request: no context processors, nothing of the learner's but what `context` holds.
    return mark_safe(get_template(template_name).render(context))  # noqa: S308 - a template's output


def forget_local() -> None:
    """Drop this process's rendered partials."""
    with _lock:
        _rendered.clear()
