"""The session summary PDF for the group's intervision report (reportlab).

Holds the statements put to the group, their distributions (counts only) and the facilitator's
notes; never anything about a participant.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from .models import GroupSession
from .services import summary


def build_summary_pdf(session: GroupSession) -> bytes:
    """Return the summary of `session` as PDF bytes."""
    styles = getSampleStyleSheet()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer, pagesize=A4, title=_("Wat vind jij? – samenvatting"), invariant=True
    )
    story = [
        Paragraph(escape(_("Wat vind jij? – samenvatting van de sessie")), styles["Title"]),
        Paragraph(escape(session.statement_set.title), styles["Heading2"]),
        Paragraph(
            escape(
                _("Datum: %(date)s · deelnemers: %(count)s")
                % {
                    "date": formats.date_format(timezone.localtime(session.created_at), "j F Y"),
                    "count": session.participant_count,
                }
            ),
            styles["Normal"],
        ),
        Spacer(1, 0.5 * cm),
    ]
    for shown, dist in summary(session):
        heading = f"{shown.position}. {shown.statement.text}"
        if shown.outcome == shown.Outcome.SKIPPED:
            heading += f" ({_('overgeslagen')})"
        story.append(Paragraph(escape(heading), styles["Heading4"]))
        rows = [[d.label, str(d.count)] for d in dist]
        rows.append([_("Antwoorden"), str(shown.answer_count)])
        table = Table(rows, colWidths=[8 * cm, 2 * cm])
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                    ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ]
            )
        )
        story += [table, Spacer(1, 0.3 * cm)]
    if session.notes:
        story.append(Paragraph(escape(_("Aantekeningen")), styles["Heading3"]))
        for paragraph in session.notes.split("\n"):
            if paragraph.strip():
                story.append(Paragraph(escape(paragraph), styles["Normal"]))
    doc.build(story)
    return buffer.getvalue()
