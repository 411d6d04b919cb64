from io import StringIO

import pytest
from django.core.management import call_command

from courses.models import LiveSessionEdition, LiveSessionType

pytestmark = pytest.mark.django_db


def test_it_creates_one_marked_demo_edition_per_masterclass_once():
    LiveSessionType.objects.create(slug="masterclass-bias", title="Masterclass 1: bias")
    call_command("create_demo_accounts", stdout=StringIO())
    call_command("create_demo_accounts", stdout=StringIO())
    edition = LiveSessionEdition.objects.get()
    assert edition.is_demo and "Demo" in edition.location
    assert [t.email for t in edition.trainers.all()] == ["auteur@example.org"]
