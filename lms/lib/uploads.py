"""Checking uploaded media: size, extension and the file's own first bytes must all agree.

An extension alone is a claim; the magic bytes are evidence. SVG is refused outright because
it can carry scripts that run on our origin. Errors are Dutch sentences for authors.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class FileType:
    """An accepted kind of file: extensions, a label for messages, a test of its first bytes."""

    extensions: tuple[str, ...]
    label: str
    test: Callable[[bytes], bool]

    def matches(self, head: bytes) -> bool:
        return self.test(head)


def _is_iso_media(head: bytes) -> bool:
    # MP4 and M4A are ISO base media files: a box size, then "ftyp".
    return len(head) >= 12 and head[4:8] == b"ftyp"


def _is_mp3(head: bytes) -> bool:
    # An ID3 tag, or straight into an MPEG audio frame (11 sync bits set).
    return head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _is_vtt(head: bytes) -> bool:
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    # The signature must be followed by a line break, a space or a tab (or nothing).
    return text.startswith(b"WEBVTT") and text[6:7] in (b"", b"\n", b"\r", b" ", b"\t")


PNG = FileType(("png",), "PNG", lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"))
JPEG = FileType(("jpg", "jpeg"), "JPEG", lambda h: h.startswith(b"\xff\xd8\xff"))
WEBP = FileType(("webp",), "WebP", lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP")
GIF = FileType(("gif",), "GIF", lambda h: h[:6] in (b"GIF87a", b"GIF89a"))
MP4 = FileType(("mp4",), "MP4", _is_iso_media)
WEBM = FileType(("webm",), "WebM", lambda h: h.startswith(b"\x1a\x45\xdf\xa3"))
MP3 = FileType(("mp3",), "MP3", _is_mp3)
OGG = FileType(("ogg", "oga"), "Ogg", lambda h: h.startswith(b"OggS"))
M4A = FileType(("m4a",), "M4A", _is_iso_media)
VTT = FileType(("vtt",), "WebVTT", _is_vtt)

IMAGE_TYPES = (PNG, JPEG, WEBP, GIF)
VIDEO_TYPES = (MP4, WEBM)
AUDIO_TYPES = (MP3, OGG, M4A)
MEDIA_TYPES = VIDEO_TYPES + AUDIO_TYPES
CAPTION_TYPES = (VTT,)

REFUSED_EXTENSIONS = {"svg", "svgz"}

# The content type each accepted extension is served with (courses.views.media).
CONTENT_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "gif": "image/gif",
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "m4a": "audio/mp4",
    "vtt": "text/vtt; charset=utf-8",
}


PILLOW_FORMATS = {"PNG": "PNG", "JPEG": "JPEG", "WebP": "WEBP", "GIF": "GIF"}


def decodes_as_image(fileobj, file_type: FileType) -> bool:
    """Whether Pillow decodes `fileobj` completely as `file_type` (first bytes alone prove
    nothing: `GIF89a<html><script>…` starts like a GIF). Leaves the file at its position."""
    from PIL import Image

    position = fileobj.tell() if hasattr(fileobj, "tell") else 0
    try:
        fileobj.seek(0)
        with Image.open(fileobj) as image:
            if image.format != PILLOW_FORMATS.get(file_type.label):
                return False
            image.load()  # decodes every pixel; truncated or garbage data raises
        return True
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return False
    finally:
        fileobj.seek(position)


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _read_head(upload, n: int = 64) -> bytes:
    position = upload.tell() if hasattr(upload, "tell") else 0
    upload.seek(0)
    head = upload.read(n)
    upload.seek(position)
    return head


def validate_upload(
    upload, allowed: tuple[FileType, ...], max_bytes: int | None = None
) -> FileType:
    """Return the matching FileType of `upload`, or raise ValidationError with a Dutch message.

    Checks, in order: the size against `max_bytes` (default `settings.MEDIA_MAX_UPLOAD_BYTES`),
    that the extension is one of `allowed` (SVG never is), that the file's first bytes are
    really that type, and that an image decodes completely with Pillow. Writes nothing.
    """
    limit = settings.MEDIA_MAX_UPLOAD_BYTES if max_bytes is None else max_bytes
    if upload.size > limit:
        raise ValidationError(
            _("Het bestand is te groot (%(size)s). Het maximum is %(max)s.")
            % {"size": filesizeformat(upload.size), "max": filesizeformat(limit)},
            code="too_large",
        )
    if upload.size == 0:
        raise ValidationError(_("Het bestand is leeg."), code="empty")
    extension = _extension(upload.name)
    allowed_text = ", ".join(f".{e}" for t in allowed for e in t.extensions)
    if extension in REFUSED_EXTENSIONS:
        raise ValidationError(
            _(
                "SVG-bestanden zijn niet toegestaan, omdat ze scripts kunnen bevatten. "
                "Gebruik PNG, JPEG, WebP of GIF."
            ),
            code="svg_refused",
        )
    file_type = next((t for t in allowed if extension in t.extensions), None)
    if file_type is None:
        raise ValidationError(
            _("Dit bestandstype (%(ext)s) is hier niet toegestaan. Toegestaan: %(allowed)s.")
            % {
                "ext": f".{extension}" if extension else _("geen extensie"),
                "allowed": allowed_text,
            },
            code="bad_extension",
        )
    if not file_type.matches(_read_head(upload)) or (
        file_type in IMAGE_TYPES and not decodes_as_image(upload, file_type)
    ):
        raise ValidationError(
            _(
                "De inhoud van het bestand past niet bij de extensie .%(ext)s: dit is geen geldig "
                "%(label)s-bestand."
            )
            % {"ext": extension, "label": file_type.label},
            code="bad_content",
        )
    return file_type


# --- While the request is read ------------------------------------------------------------------

# The largest upload any form accepts, in media-file limits: a zip of course files may hold
# four media files' worth (courses.course_files.archive.archive_limits).
UPLOAD_CAP_FACTOR = 4


class OversizedUpload(UploadedFile):
    """Stands in for a file that passed the upload cap: it has the size that arrived, no content.

    The form's own check (`validate_upload`, the archive form) then answers with its usual
    "te groot" message, and nothing of the file is kept.
    """

    def __init__(self, name, content_type, size, charset=None):
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class SizeCappedUploadHandler(FileUploadHandler):
    """First upload handler: stops storing a file once it passes UPLOAD_CAP_FACTOR times
    MEDIA_MAX_UPLOAD_BYTES.

    Django otherwise writes a whole upload to a temporary file before any form sees its size.
    The rest of an oversized file is still read (so the browser gets an answer, not a reset
    connection) but not passed on; a front proxy's body limit (client_max_body_size) bounds the
    reading itself.
    """

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0
        self.cap = UPLOAD_CAP_FACTOR * settings.MEDIA_MAX_UPLOAD_BYTES

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            return None  # later handlers (memory, temporary file) never see it
        return raw_data

    def file_complete(self, file_size):
        if self.received > self.cap:
            return OversizedUpload(self.file_name, self.content_type, self.received, self.charset)
        return None  # within the cap: the next handler's file is the upload
