"""Upload checks: size, extension and magic bytes must agree; SVG is refused."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from lms.lib import uploads
from tests.factories import image_bytes

SAMPLES = {
    "a.png": image_bytes("PNG"),
    "a.jpg": image_bytes("JPEG"),
    "a.jpeg": image_bytes("JPEG"),
    "a.webp": image_bytes("WEBP"),
    "a.gif": image_bytes("GIF"),
    "a.mp4": b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00",
    "a.webm": b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81",
    "a.mp3": b"ID3\x04\x00\x00\x00\x00\x00\x00",
    "b.mp3": b"\xff\xfb\x90\x64\x00",
    "a.ogg": b"OggS\x00\x02\x00\x00",
    "a.m4a": b"\x00\x00\x00\x20ftypM4A \x00\x00",
    "a.vtt": b"WEBVTT\n\n00:00.000 --> 00:02.000\nHallo",
    "bom.vtt": b"\xef\xbb\xbfWEBVTT - ondertitels\n",
}
ALL = uploads.IMAGE_TYPES + uploads.MEDIA_TYPES + uploads.CAPTION_TYPES


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_it_accepts_real_files_of_each_allowed_type(name):
    file_type = uploads.validate_upload(upload(name, SAMPLES[name]), ALL, max_bytes=1000)
    assert name.rsplit(".", 1)[1] in file_type.extensions


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "logo.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "SVG-bestanden zijn niet toegestaan",
        ),
        ("logo.SVG", b"<svg/>", "SVG-bestanden zijn niet toegestaan"),
        ("foto.png", b"\xff\xd8\xff\xe0 jpeg really", "dit is geen geldig PNG-bestand"),
        ("script.png", b"<script>alert(1)</script>", "dit is geen geldig PNG-bestand"),
        ("a.vtt", b"1\n00:00.000 --> 00:01.000\nHallo", "dit is geen geldig WebVTT-bestand"),
        ("a.vtt", b"WEBVTTX\n", "dit is geen geldig WebVTT-bestand"),
        (
            "film.avi",
            b"RIFF\x00\x00\x00\x00AVI ",
            "Dit bestandstype (.avi) is hier niet toegestaan",
        ),
        (
            "zonder",
            b"\x89PNG\r\n\x1a\n",
            "Dit bestandstype (geen extensie) is hier niet toegestaan",
        ),
        ("leeg.png", b"", "Het bestand is leeg."),
    ],
)
def test_it_refuses_files_that_are_not_what_they_claim(name, content, message):
    with pytest.raises(ValidationError) as exc:
        uploads.validate_upload(upload(name, content), ALL, max_bytes=1000)
    assert message in exc.value.messages[0]


def test_it_refuses_a_type_that_is_allowed_elsewhere_but_not_here():
    with pytest.raises(ValidationError) as exc:
        uploads.validate_upload(
            upload("a.mp3", SAMPLES["a.mp3"]), uploads.VIDEO_TYPES, max_bytes=1000
        )
    assert "Toegestaan: .mp4, .webm." in exc.value.messages[0]


def test_it_uses_the_size_limit_from_settings(settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 2048
    big = upload("a.png", SAMPLES["a.png"] + b"\x00" * (4096 - len(SAMPLES["a.png"])))
    with pytest.raises(ValidationError) as exc:
        uploads.validate_upload(big, uploads.IMAGE_TYPES)
    assert exc.value.messages[0] == "Het bestand is te groot (4,0\xa0KB). Het maximum is 2,0\xa0KB."
    assert (
        uploads.validate_upload(upload("a.png", SAMPLES["a.png"]), uploads.IMAGE_TYPES)
        is uploads.PNG
    )


def test_it_leaves_the_file_position_where_it_was():
    f = upload("a.png", SAMPLES["a.png"])
    f.seek(3)
    uploads.validate_upload(f, uploads.IMAGE_TYPES, max_bytes=1000)
    assert f.tell() == 3


class Recorder:
    """The next handler in the chain: records what it is given."""

    def __init__(self):
        self.received = b""

    def feed(self, chunk):
        if chunk is not None:
            self.received += chunk


def test_it_stops_storing_an_upload_once_it_passes_the_cap(settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100  # the cap: 4 × 100 bytes
    handler = uploads.SizeCappedUploadHandler()
    handler.new_file("image", "groot.png", "image/png", 1000)
    stored = Recorder()
    for start in range(0, 1000, 100):
        stored.feed(handler.receive_data_chunk(b"x" * 100, start))
    file = handler.file_complete(1000)
    assert len(stored.received) <= 400  # nothing past the cap reached memory or disk
    assert file.size == 1000 and file.read() == b""
    with pytest.raises(ValidationError) as exc:
        uploads.validate_upload(file, uploads.IMAGE_TYPES)
    assert exc.value.messages[0].startswith("Het bestand is te groot (1000\xa0bytes).")


def test_it_leaves_an_upload_within_the_cap_to_the_next_handler(settings):
    settings.MEDIA_MAX_UPLOAD_BYTES = 100
    handler = uploads.SizeCappedUploadHandler()
    handler.new_file("image", "klein.png", "image/png", 400)
    assert handler.receive_data_chunk(b"x" * 400, 0) == b"x" * 400
    assert handler.file_complete(400) is None


def test_it_keeps_an_oversized_upload_out_of_djangos_own_handlers(settings, monkeypatch):
    """Through the real request parser: the temporary-file handler never gets past the cap."""
    from django.core.files.uploadhandler import TemporaryFileUploadHandler
    from django.test import RequestFactory

    settings.MEDIA_MAX_UPLOAD_BYTES = 1000
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload would go to a temporary file
    kept = []
    original = TemporaryFileUploadHandler.receive_data_chunk

    def recording(self, raw_data, start):
        kept.append(len(raw_data))
        return original(self, raw_data, start)

    monkeypatch.setattr(TemporaryFileUploadHandler, "receive_data_chunk", recording)
    big = SimpleUploadedFile("groot.png", SAMPLES["a.png"] + b"\x00" * 200_000)
    request = RequestFactory().post("/", {"image": big})
    upload_file = request.FILES["image"]
    assert sum(kept) <= 4000
    assert upload_file.size > 200_000
    with pytest.raises(ValidationError):
        uploads.validate_upload(upload_file, uploads.IMAGE_TYPES)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("x.gif", b"GIF89a<html><script>alert(1)</script></html>"),
        ("x.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("x.jpg", image_bytes("JPEG")[:40]),  # truncated
        ("x.png", image_bytes("JPEG")),  # a JPEG named .png
    ],
)
def test_it_refuses_an_image_that_only_starts_like_one(name, content):
    with pytest.raises(ValidationError) as caught:
        uploads.validate_upload(upload(name, content), uploads.IMAGE_TYPES)
    assert caught.value.code == "bad_content"
