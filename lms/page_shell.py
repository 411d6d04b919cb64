"""Learner pages served inside a pre-rendered copy of base.html.

base.html (header, menu, language form, footer) costs about as much to render as the rest of a
light page, yet between requests it differs only in the title, the content, the CSRF token, the
path the language form returns to, the language, whether the user is logged in or staff, and
which menu item is current. `render_in_shell()` renders it once per process for each of those
combinations with markers in the variable places (the shell), renders only the page's own
`title` and `content` blocks per request, and joins them. A page with flash messages to show
renders the template normally, as does any template that overrides other blocks of base.html.

The shell depends only on templates and translations, which change only with a deploy (a new
process), so it is kept in process memory and never invalidated.
"""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template import engines
from django.template.context import make_context
from django.template.loader import get_template
from django.template.loader_tags import ExtendsNode
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.html import escape

SLOTS = ("title", "content", "csrf", "path")
# The blocks a shelled page fills; a page with any other, or without these, renders normally.
PAGE_BLOCKS = frozenset({"title", "content"})
SHELL_SOURCE = (
    '{% extends "base.html" %}{% block title %}{{ slots.title }}{% endblock %}'
    "{% block content %}{{ slots.content }}{% endblock %}"
)

_lock = threading.Lock()
_shells: dict[tuple, list[tuple[str, str]]] = {}


@dataclass(frozen=True)
class _ShellUser:
    """What base.html reads of the user."""

    is_authenticated: bool
    is_staff: bool


@dataclass(frozen=True)
class _ResolverMatch:
    url_name: str | None
    app_name: str


@dataclass(frozen=True)
class _ShellRequest:
    """What base.html reads of the request; the path is a marker."""

    path_marker: str
    resolver_match: _ResolverMatch

    def get_full_path(self) -> str:
        return self.path_marker


def split_slots(html: str, markers: dict[str, str]) -> list[tuple[str, str]]:
    """Cut `html` at each slot marker: [("text", static html) | ("slot", name), ...]."""
    pattern = re.compile("|".join(re.escape(m) for m in markers.values()))
    names = {m: name for name, m in markers.items()}
    parts: list[tuple[str, str]] = []
    position = 0
    for found in pattern.finditer(html):
        parts.append(("text", html[position : found.start()]))
        parts.append(("slot", names[found.group()]))
        position = found.end()
    parts.append(("text", html[position:]))
    return parts


def shell_for(request) -> list[tuple[str, str]]:
    """base.html for this request's language, kind of user and current menu item, cut at the
    slots. Rendered once per process and combination."""
    user = request.user
    match = request.resolver_match
    key = (
        translation.get_language(),
        bool(user.is_authenticated),
        bool(user.is_staff),
        match.url_name if match else None,
        match.app_name if match else "",
        settings.SESSION_IDLE_TIMEOUT_SECONDS,
    )
    shell = _shells.get(key)
    if shell is None:
        markers = {name: f"slot-{secrets.token_hex(16)}-{name}" for name in SLOTS}
        html = (
            engines["django"]
            .from_string(SHELL_SOURCE)
            .render(
                {
                    "slots": markers,
                    "csrf_token": markers["csrf"],
                    "user": _ShellUser(*key[1:3]),
                    "request": _ShellRequest(markers["path"], _ResolverMatch(*key[3:5])),
                    "messages": [],
                    # What accounts.context_processors.idle_timeout adds to every page.
                    "idle_timeout_seconds": key[5],
                }
            )
        )
        shell = split_slots(html, markers)
        with _lock:
            _shells[key] = shell
    return shell


def page_blocks(template_name: str):
    """The `{% extends %}` node of a page template when it fills only the page blocks, else None."""
    template = get_template(template_name).template  # type: ignore[attr-defined]
    node = next((n for n in template.nodelist if isinstance(n, ExtendsNode)), None)
    if node is None or set(node.blocks) != PAGE_BLOCKS:
        return None
    return template, node


def render_in_shell(request, template_name: str, context: dict, status: int = 200):
    """`render(request, template_name, context)`, the same HTML, with base.html from the shell.

    The page's blocks are rendered with the request's context processors, as a full render
    would; the CSRF token is the same in the page's forms and the shell's.
    """
    found = page_blocks(template_name)
    if found is None or len(messages.get_messages(request)):
        return render(request, template_name, context, status=status)
    template, extends = found
    token = get_token(request)
    ctx = make_context({**context, "csrf_token": token}, request, autoescape=True)
    with ctx.render_context.push_state(template), ctx.bind_template(template):
        ctx.template_name = template_name
        # The test client collects rendered templates and contexts from this signal.
        template_rendered.send(sender=template, template=template, context=ctx)
        slots = {name: extends.blocks[name].render(ctx) for name in PAGE_BLOCKS}
    slots["csrf"] = token
    slots["path"] = escape(request.get_full_path())
    html = "".join(slots[value] if kind == "slot" else value for kind, value in shell_for(request))
    return HttpResponse(html, status=status)


def forget_local() -> None:
    """Drop this process's shells."""
    with _lock:
        _shells.clear()
