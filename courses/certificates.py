"""The certificate PDF for a completed course (reportlab).

Carries what an accreditation body checks and nothing more: the learner's name, the course
title, the provider, the completion date, score and study load, per register the accreditation
id and points with the learner's number as PE-online sees it, and the public verification URL,
code and QR code.
"""

from __future__ import annotations

import io

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import cm
from reportlab.pdfgen import canvas

from .models import CourseCompletion

ACCENT = colors.HexColor("#5a2a82")


def format_hours(hours) -> str:
    """2.00 → "2", 1.50 → "1,5" (localised)."""
    value = hours.normalize() if hasattr(hours, "normalize") else hours
    return formats.number_format(value, use_l10n=True)


def certificate_filename(completion: CourseCompletion) -> str:
    return f"certificaat-{completion.version.course.slug}-{completion.verification_code}.pdf"


def build_certificate_pdf(completion: CourseCompletion, accreditations=()) -> bytes:
    """Return the certificate as PDF bytes. Reads completion.enrollment.user and .version.

    `accreditations`: records.registers.certificate_lines(completion) — per register the
    accreditation id and points with the learner's number as PE-online sees it. Without any,
    the certificate names no accreditation (never a placeholder).
    """
    user = completion.enrollment.user
    version = completion.version
    buffer = io.BytesIO()
    width, height = landscape(A4)
    # Uncompressed page streams keep the PDF greppable for the verification tooling and tests.
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(_("Certificaat %(course)s") % {"course": version.title})
    pdf.setAuthor("Spreekkamer")
    pdf.setSubject(version.title)

    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(4)
    pdf.rect(1.2 * cm, 1.2 * cm, width - 2.4 * cm, height - 2.4 * cm)

    pdf.setFillColor(ACCENT)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawCentredString(width / 2, height - 4 * cm, _("Certificaat"))
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 5.5 * cm, _("Hierbij verklaart Spreekkamer dat"))
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 7 * cm, user.display_name or user.email)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(
        width / 2, height - 8.3 * cm, _("met goed gevolg de nascholing heeft afgerond:")
    )
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawCentredString(width / 2, height - 9.6 * cm, version.title)

    completed_on = formats.date_format(timezone.localtime(completion.completed_at), "j F Y")
    lines = [
        _("Aanbieder: Spreekkamer"),
        _("Datum van afronding: %(date)s") % {"date": completed_on},
        _("Studiebelasting: %(hours)s uur") % {"hours": format_hours(version.study_load_hours)},
    ]
    if completion.score is not None:
        lines.append(_("Score eindtoets: %(score)s%%") % {"score": round(completion.score * 100)})
    lines.append(_("Cursusversie: %(number)s") % {"number": version.number})
    for line in accreditations:
        lines.append(
            _(
                "%(register)s (PE-online %(organisation)s, orgID %(org)s): accreditatie-ID "
                "%(id)s, %(points)s punten, %(number)s"
            )
            % {
                "register": line.register,
                "organisation": line.organisation,
                "org": line.pe_org_id,
                "id": line.accreditation_id,
                "points": format_hours(line.points),
                "number": (_("registratienummer %(number)s") % {"number": line.number})
                if line.number
                else _("geen geldig registratienummer"),
            }
        )
    pdf.setFont("Helvetica", 11)
    y = height - 11.0 * cm
    for line in lines:
        pdf.drawCentredString(width / 2, y, line)
        y -= 0.6 * cm

    draw_verification(pdf, width, completion.verification_url, completion.verification_code)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def draw_verification(pdf, width, url: str, code: str) -> None:
    """The public verification URL, its code and a QR code of the URL at the foot of the page
    (reportlab draws the QR code: nothing external)."""
    qr = QrCodeWidget(url)
    x0, y0, x1, y1 = qr.getBounds()
    size = 2.6 * cm
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, pdf, width - 4.4 * cm, 1.8 * cm)
    pdf.setFont("Helvetica", 10)
    pdf.setFillColor(colors.HexColor("#333333"))
    pdf.drawCentredString(
        width / 2, 3.2 * cm, _("Controleer dit certificaat op %(url)s") % {"url": url}
    )
    pdf.drawCentredString(width / 2, 2.6 * cm, _("Verificatiecode: %(code)s") % {"code": code})


def build_attendance_certificate_pdf(registration) -> bytes:
    """Return the certificate of attendance of a live session (a masterclass) as PDF bytes:
    the learner's name, the session, the date, the place, the study load and the public
    verification URL, code and QR code."""
    user = registration.user
    edition = registration.edition
    session_type = edition.session_type
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(_("Certificaat %(course)s") % {"course": session_type.title})
    pdf.setAuthor("Spreekkamer")
    pdf.setStrokeColor(ACCENT)
    pdf.setLineWidth(4)
    pdf.rect(1.2 * cm, 1.2 * cm, width - 2.4 * cm, height - 2.4 * cm)
    pdf.setFillColor(ACCENT)
    pdf.setFont("Helvetica-Bold", 30)
    pdf.drawCentredString(width / 2, height - 4 * cm, _("Certificaat van deelname"))
    pdf.setFillColor(colors.black)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 5.5 * cm, _("Hierbij verklaart Spreekkamer dat"))
    pdf.setFont("Helvetica-Bold", 22)
    pdf.drawCentredString(width / 2, height - 7 * cm, user.display_name or user.email)
    pdf.setFont("Helvetica", 14)
    pdf.drawCentredString(width / 2, height - 8.3 * cm, _("aanwezig was bij:"))
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawCentredString(width / 2, height - 9.6 * cm, session_type.title)
    day = formats.date_format(timezone.localtime(edition.starts_at), "j F Y")
    lines = [
        _("Datum: %(date)s") % {"date": day},
        _("Plaats: %(place)s") % {"place": edition.location or _("online")},
        _("Studiebelasting: %(hours)s uur")
        % {"hours": format_hours(session_type.study_load_hours)},
    ]
    pdf.setFont("Helvetica", 12)
    y = height - 11.2 * cm
    for line in lines:
        pdf.drawCentredString(width / 2, y, line)
        y -= 0.7 * cm
    draw_verification(pdf, width, registration.verification_url, registration.certificate_code)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
