import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from conversations import services
from tests import factories
from tests.conversations.support import make_set

pytestmark = pytest.mark.django_db


def test_it_downloads_a_summary_with_distributions_and_notes(client):
    facilitator = factories.make_user()
    session = services.start_session(facilitator, make_set())
    shown = services.next_statement(session)
    services.join_session(session)
    session.refresh_from_db()
    services.record_answer(session, shown.pk, "oneens")
    services.next_statement(session, skip=True)
    services.save_notes(session, "We spraken af om de balie mee te nemen.")
    client.force_login(facilitator)
    response = client.get(reverse("conversations:summary", args=[session.code]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Stelling nummer 1" in text and re.search(r"\bOneens\s+1\b", text)
    assert "overgeslagen" in text
    assert "balie mee te nemen" in text
