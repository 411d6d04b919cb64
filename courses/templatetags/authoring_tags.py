"""Template tags of the author area."""

from django import template
from django.urls import reverse
from django.utils.html import json_script
from django.utils.translation import gettext as _

from courses.models import GlossaryTerm

register = template.Library()


@register.simple_tag
def rich_text_config():
    """The rich-text editor's settings as a JSON script element (static/js/rich_text.js reads
    it): the toolbar's labels in the active language and the glossary terms to link to."""
    glossary_url = reverse("courses:glossary")
    config = {
        "labels": {
            "toolbar": _("Opmaak"),
            "choose_term": _("Begrip"),
            "ok": _("Koppelen"),
            "cancel": _("Annuleren"),
        },
        # Toolbar buttons: the visible text (which is also the name screen readers announce)
        # and a longer explanation shown as a tooltip.
        "buttons": {
            "paragraph": [_("Alinea"), _("Gewone alinea")],
            "heading2": [_("Kop"), _("Tussenkop")],
            "heading3": [_("Subkop"), _("Kop onder een tussenkop")],
            "bold": [_("Vet"), _("Vet (Ctrl+B)")],
            "italic": [_("Cursief"), _("Cursief (Ctrl+I)")],
            "bulletList": [_("Opsomming"), _("Lijst met opsommingstekens")],
            "orderedList": [_("Nummering"), _("Genummerde lijst")],
            "orderedListProperties": [_("Lijstsoort"), _("Soort nummering en beginnummer")],
            "link": [_("Link"), _("Link maken van de geselecteerde tekst (Ctrl+K)")],
            "unlink": [_("Link weg"), _("Link weghalen")],
            "glossary": [_("Begrip"), _("Geselecteerde tekst koppelen aan een begrip")],
            "history:undo": [_("Ongedaan maken"), _("Ongedaan maken (Ctrl+Z)")],
            "history:redo": [_("Opnieuw"), _("Opnieuw doen (Ctrl+Shift+Z)")],
        },
        # The library's own dialogs (link, list numbering) ask window.gettext for these.
        "dialog": {
            "URL": _("Adres (URL)"),
            "Title": _("Titel"),
            "Edit Link": _("Link bewerken"),
            "Open in new window": _("Openen in een nieuw venster"),
            "Update": _("Opslaan"),
            "Cancel": _("Annuleren"),
        },
        "terms": [
            {"term": term, "url": f"{glossary_url}#begrip-{pk}"}
            for pk, term in GlossaryTerm.objects.order_by("term").values_list("pk", "term")
        ],
    }
    return json_script(config, "rich-text-config")
