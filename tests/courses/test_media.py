"""Uploaded content media are served with DEBUG=0 too: the right type, nosniff, nothing else."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from tests import factories

PNG = factories.image_bytes("PNG")
VTT = b"WEBVTT\n\n00:00.000 --> 00:02.000\nHallo\n"


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEBUG = False
    return settings.MEDIA_ROOT


def test_it_serves_an_uploaded_image_with_its_type_when_debug_is_off(client, media_root):
    name = default_storage.save("blocks/images/stip.png", ContentFile(PNG))
    response = client.get(default_storage.url(name))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_it_serves_captions_and_portraits(client, media_root):
    captions = default_storage.save("blocks/captions/nl.vtt", ContentFile(VTT))
    portrait = default_storage.save("personas/sam.png", ContentFile(PNG))
    assert client.get(default_storage.url(captions))["Content-Type"] == "text/vtt; charset=utf-8"
    assert client.get(default_storage.url(portrait)).status_code == 200


def test_it_refuses_everything_else_under_media(client, media_root):
    default_storage.save("package_exports/abc/basis.zip", ContentFile(b"PK"))
    default_storage.save("blocks/images/page.html", ContentFile(b"<script>"))
    for path in (
        "/media/package_exports/abc/basis.zip",  # downloads go through their authorised view
        "/media/blocks/../package_exports/abc/basis.zip",
        "/media/blocks/images/page.html",  # not a type an upload may have
        "/media/blocks/images/ontbreekt.png",
        "/media/blocks/%2e%2e/%2e%2e/etc/passwd.png",
    ):
        assert client.get(path).status_code == 404, path
    assert client.post("/media/blocks/images/stip.png").status_code == 405
