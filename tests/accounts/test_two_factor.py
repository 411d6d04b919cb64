"""Two-factor authentication (TOTP): required for staff and accreditation managers, optional for
learners; the QR code is drawn on the server."""

import time

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def two_factor_on(settings):
    settings.TWO_FACTOR_REQUIRED = True


def current_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(client, email):
    return client.post(reverse("login"), {"username": email, "password": factories.PASSWORD})


def test_it_makes_staff_set_up_two_factor_before_any_page(client):
    factories.make_user(email="beheer@example.org", is_staff=True)
    log_in(client, "beheer@example.org")
    for url in ("/auteur/", "/admin/", reverse("profile")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor"))
    page = client.get(reverse("two_factor"))
    html = page.content.decode()
    assert "Scan deze QR-code" in html
    qr = html.split('class="qr-code"', 1)[1].split("</div>", 1)[0]
    # Drawn here as inline SVG: no image fetched from anywhere.
    assert "<svg" in qr and "<path" in qr
    assert "http" not in qr.replace("http://www.w3.org/2000/svg", "")
    device = TOTPDevice.objects.get(confirmed=False)
    wrong = client.post(reverse("two_factor"), {"token": "000000", "next": "/auteur/"})
    assert wrong.status_code == 400 and "Deze code klopt niet" in wrong.content.decode()
    # django-otp throttles after a wrong code: the right one is accepted a few seconds later.
    with time_machine.travel(time.time() + 5, tick=False):
        device.refresh_from_db()
        code = current_code(device)
        right = client.post(reverse("two_factor"), {"token": code, "next": "/auteur/"})
    assert right["Location"] == "/auteur/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("profile")).status_code == 200


def test_it_asks_for_the_code_at_every_login_once_set_up(client):
    user = factories.make_user(email="beheer@example.org", is_staff=True)
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    log_in(client, "beheer@example.org")
    response = client.get("/admin/")
    assert response["Location"].startswith(reverse("two_factor"))
    page = client.get(reverse("two_factor")).content.decode()
    assert 'class="qr-code"' not in page and "Vul de code in" in page
    client.post(reverse("two_factor"), {"token": current_code(device)})
    assert client.get("/admin/").status_code == 200


def test_it_requires_two_factor_for_accreditation_managers(client):
    manager = factories.make_user(email="accreditatie@example.org")
    manager.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    log_in(client, "accreditatie@example.org")
    assert client.get(reverse("profile"))["Location"].startswith(reverse("two_factor"))


def test_it_leaves_two_factor_optional_for_learners_and_asks_once_they_chose_it(client, learner):
    log_in(client, learner.email)
    assert client.get(reverse("profile")).status_code == 200
    client.get(reverse("two_factor"))  # the learner chooses to set it up
    device = TOTPDevice.objects.get(user=learner)
    client.post(reverse("two_factor"), {"token": current_code(device)})
    client.post(reverse("logout"))
    log_in(client, learner.email)
    assert client.get(reverse("profile"))["Location"].startswith(reverse("two_factor"))
