"""Sanitising author HTML. Author content is cleaned when it is saved, never trusted on render."""

import re

import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "small",
    "mark",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "q",
    "cite",
    "a",
    "abbr",
    "code",
    "pre",
    "hr",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "caption",
    "figure",
    "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "span": {"lang"},
    "p": {"lang"},
    "blockquote": {"cite"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def sanitise_html(html: str) -> str:
    """Return `html` with every tag, attribute and URL scheme outside the allow-list removed.

    Links get rel="noopener noreferrer"; scripts, styles, event handlers and javascript: URLs
    are dropped.
    """
    if not html:
        return ""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_BLOCK_START = re.compile(
    r"^\s*<(p|h[1-6]|ul|ol|dl|blockquote|div|table|figure|pre|hr)\b", re.IGNORECASE
)
_BLANK_LINES = re.compile(r"\n\s*\n")


def text_to_html(text: str) -> str:
    """Text typed without the editor as HTML paragraphs: a blank line starts a new paragraph, a
    single line break stays a line break. Text that starts with a block element (the editor's
    HTML) is returned as it is. Inline markup is kept: sanitise the result as any author HTML
    (`sanitise_html` also escapes a stray "<" or "&")."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text or _BLOCK_START.match(text):
        return text
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(line.strip() for line in p.split("\n")) + "</p>" for p in paragraphs
    )
