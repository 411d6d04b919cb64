import pytest
from django.urls import reverse

from courses.models import GlossaryTerm
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_lists_terms_and_narrows_them_to_a_course(client):
    course = factories.make_course(slug="basis")
    used = GlossaryTerm.objects.create(
        term="Cisgender", definition="<p>Genderidentiteit past bij sekse.</p>"
    )
    used.courses.add(course)
    GlossaryTerm.objects.create(
        term="Intersekse", definition="<p>Variaties in geslachtskenmerken.</p>"
    )

    everything = client.get(reverse("courses:glossary")).content.decode()
    assert "Cisgender" in everything and "Intersekse" in everything

    narrowed = client.get(reverse("courses:glossary") + "?cursus=basis").content.decode()
    assert "Cisgender" in narrowed and "Intersekse" not in narrowed
    assert client.get(reverse("courses:glossary") + "?cursus=bestaat-niet").status_code == 404
