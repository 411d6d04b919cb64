import re
from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import ngettext, npgettext

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ question.ranks|get_item:option.pk }}`: look up a variable key; None when absent."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def hours(value):
    """A study load in hours the Dutch way: "1,5 uur", "2 uur" (never "1,50 uur")."""
    if value in (None, ""):
        return ""
    amount = Decimal(str(value)).normalize()
    if amount == amount.to_integral():
        amount = amount.quantize(Decimal(1))
    text = number_format(amount, use_l10n=True)
    count = 1 if amount == 1 else 2
    return npgettext("duur", "%(hours)s uur", "%(hours)s uur", count) % {"hours": text}


@register.filter
def minutes(value):
    """A duration in whole minutes: "25 minuten", "1 minuut" (times are shown in minutes)."""
    total = int(value or 0)
    return ngettext("%(n)s minuut", "%(n)s minuten", total) % {"n": total}


_LEADING_YOU_CAN = re.compile(r"^\s*(je kunt|u kunt|you can)\s+", re.IGNORECASE)


@register.filter
def objective(text):
    """An objective as it reads after "Na deze cursus kun je:" (a leading "Je kunt" dropped)."""
    return _LEADING_YOU_CAN.sub("", str(text or ""), count=1)


# Icons for block kinds and the learner path: simple line drawings (24×24, stroke = currentColor),
# drawn for Spreekkamer. Decorative: the text beside them says what they mean.
ICONS = {
    "persona_story": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-8 8-8s8 3.6 8 8"/>',
    "scenario": '<path d="M3 5h12v8H8l-4 3v-3H3z"/><path d="M15 9h6v8h-1v3l-3-3h-5v-4"/>',
    "reflection": '<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="M13 7l4 4"/><path d="M14 20h6"/>',
    "quiz": '<rect x="4" y="3" width="16" height="18" rx="2"/><path d="M8 8l1.5 1.5L12 7"/>'
    '<path d="M14 8h3"/><path d="M8 14l1.5 1.5L12 13"/><path d="M14 14h3"/>',
    "callout": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6"/><path d="M12 7.5v.5"/>',
    "media": '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M10 9v6l5-3z"/>',
    "clock": '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 2"/>',
    "check": '<path d="M5 12.5l4.5 4.5L19 7.5"/>',
    "search": '<circle cx="11" cy="11" r="6.5"/><path d="M16 16l4.5 4.5"/>',
    "certificate": '<rect x="3" y="4" width="18" height="12" rx="1.5"/><path d="M7 8h10M7 11h6"/>'
    '<circle cx="16" cy="16" r="3"/><path d="M14.5 18.5L14 22l2-1 2 1-.5-3.5"/>',
    "download": '<path d="M12 4v11"/><path d="M7 10l5 5 5-5"/><path d="M5 20h14"/>',
    "here": '<path d="M12 21s-7-6.2-7-11.5A7 7 0 0 1 19 9.5C19 14.8 12 21 12 21z"/>'
    '<circle cx="12" cy="9.5" r="2.5"/>',
}


@register.simple_tag
def icon(name, css_class=""):
    """Inline SVG for `name` (empty when there is none), hidden from assistive technology."""
    paths = ICONS.get(name)
    if paths is None:
        return ""
    return format_html(
        '<svg class="icon {}" aria-hidden="true" focusable="false" viewBox="0 0 24 24" width="24" '
        'height="24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" '
        'stroke-linejoin="round">{}</svg>',
        css_class,
        mark_safe(paths),  # noqa: S308 - constant markup from ICONS above
    )
