"""Link glossary terms in rendered HTML: the first occurrence of each term becomes a link.

Framework-free. Text inside links, headings, buttons, labels, form controls, summaries and
definition terms is left alone, and so is everything inside tags (attributes are never touched).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from html import escape
from html.parser import HTMLParser
from typing import TypeVar

T = TypeVar("T")

SKIP_TAGS = {
    "a", "button", "label", "textarea", "select", "option", "script", "style", "summary",
    "legend", "dt", "h1", "h2", "h3", "h4", "h5", "h6", "svg", "figcaption", "code", "pre",
}  # fmt: skip
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}  # fmt: skip


def term_pattern(terms: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive pattern for whole-word occurrences of `terms`, longest first."""
    words = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(escape(w, quote=False)) for w in words)
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])", re.IGNORECASE)


class _Linker(HTMLParser):
    def __init__(self, pattern, lookup, make_link, linked):
        super().__init__(convert_charrefs=False)
        self.pattern, self.lookup, self.make_link, self.linked = pattern, lookup, make_link, linked
        self.out: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text() or "")
        if tag in SKIP_TAGS and tag not in VOID_TAGS:
            self.skipping.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if self.skipping:
            self.out.append(data)
            return

        def replace(match):
            key = self.lookup(match.group(1))
            if key is None or key in self.linked:
                return match.group(0)
            self.linked.append(key)
            return self.make_link(key, match.group(1))

        self.out.append(self.pattern.sub(replace, data))

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")


def link_terms(
    html: str,
    terms: Mapping[str, T],
    make_link: Callable[[T, str], str],
    linked: list,
) -> str:
    """Return `html` with the first occurrence of each term (a key of `terms`, matched without
    regard to case) replaced by `make_link(terms[term], text_as_written)`.

    `linked` lists the values already linked (earlier on the same page); it is extended in place,
    so a term is linked once per page.
    """
    pattern = term_pattern(terms)
    if pattern is None or not html:
        return html
    by_lower = {escape(term, quote=False).lower(): value for term, value in terms.items()}
    parser = _Linker(pattern, lambda text: by_lower.get(text.lower()), make_link, linked)
    parser.feed(html)
    parser.close()
    return "".join(parser.out)
