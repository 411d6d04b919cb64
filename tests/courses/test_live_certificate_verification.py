"""Masterclass attendance certificates carry a public verification URL, code and QR code."""

import io
import re

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from courses import services
from tests import factories
from tests.courses.live_fixtures import make_edition

pytestmark = pytest.mark.django_db


def test_it_prints_a_verification_url_that_confirms_the_attendance(client):
    edition = make_edition()
    learner = factories.make_user(first_name="Noor", last_name="Bakker")
    registration = services.register_for_edition(learner, edition)
    services.record_attendance(edition, [registration.pk])
    client.force_login(learner)
    url = reverse("courses:live_certificate", args=[edition.session_type.slug, edition.pk])
    pdf = client.get(url).content
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    code = re.search(r"Verificatiecode: (\S+)", text).group(1)
    url = f"{settings.SITE_URL}/certificaat/{code}/"
    assert url in text
    # A QR code: reportlab draws its modules as filled rectangles in the page stream.
    assert pdf.count(b" re") > 100
    client.logout()  # the verification page is public
    page = client.get(f"/certificaat/{code}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Noor Bakker" in html and "Masterclass bias" in html
    assert "aanwezig bij deze masterclass" in html


def test_it_confirms_nothing_for_an_unknown_code_or_an_absent_learner(client):
    edition = make_edition()
    registration = services.register_for_edition(factories.make_user(), edition)
    for code in ("onbekend-123", registration.certificate_code):  # registered, never present
        page = client.get(f"/certificaat/{code}/")
        assert page.status_code == 404
        assert "Certificaat niet gevonden" in page.content.decode()


def test_every_registration_has_its_own_code():
    edition = make_edition(capacity=5)
    codes = {
        services.register_for_edition(factories.make_user(), edition).certificate_code
        for _ in range(3)
    }
    assert len(codes) == 3 and all(len(code) >= 16 for code in codes)
