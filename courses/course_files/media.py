"""Media files referenced from content files: checked where they are, then stored by content.

A file path in a course file is relative to that file and may not leave its folder. The type is
checked twice: the extension must be allowed for the field and the file's first bytes must agree
(an extension alone is a claim). Stored names carry the first 32 hex digits of the SHA-256 of
the content, so importing the same file twice stores it once and a version's media can be compared
with a file's without reading storage.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from lms.lib import uploads

# What each kind of field accepts (the file types of lms.lib.uploads, shared with the author
# area's uploads), and where it is stored. SVG is never accepted: it can carry scripts.
KINDS = {
    "image": (uploads.IMAGE_TYPES, "blocks/images"),
    "video": (uploads.VIDEO_TYPES, "blocks/media"),
    "audio": (uploads.AUDIO_TYPES, "blocks/media"),
    "captions": (uploads.CAPTION_TYPES, "blocks/captions"),
    "portrait": (uploads.IMAGE_TYPES, "personas"),
}

DIGEST_LENGTH = 32
_STORED_NAME = re.compile(rf"(?:^|/)([0-9a-f]{{{DIGEST_LENGTH}}})-[^/]*$")


class MediaError(Exception):
    pass


@dataclass(frozen=True)
class StagedMedia:
    """A checked source file and the storage name it will have."""

    source: Path
    digest: str
    storage_name: str

    @property
    def ref(self) -> str:
        return digest_ref(self.digest)


def digest_ref(digest: str) -> str:
    """How a media file appears in a canonical course dict: by content, not by name."""
    return f"sha256:{digest}"


def _hash(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()[:DIGEST_LENGTH]


def stage_media(base_dir: Path, value: str, kind: str) -> StagedMedia:
    """Check the file `value` (relative to `base_dir`) for a field of `kind`; return it staged.

    Raises MediaError with a Dutch message when the path leaves `base_dir`, the file is missing,
    too large, of a type the field does not accept, or its content does not match its extension.
    Reads the file; writes nothing.
    """
    relative = PurePosixPath(value.replace("\\", "/"))
    if relative.is_absolute() or ".." in relative.parts or re.match(r"^[a-zA-Z]:", value):
        raise MediaError(
            _(
                "het pad ‘%(path)s’ moet binnen de map van het bestand blijven (geen ‘..’ of "
                "absoluut pad)"
            )
            % {"path": value}
        )
    base = base_dir.resolve()
    path = (base / relative).resolve()
    # A symlink inside the folder could still point outside it.
    if not path.is_relative_to(base):
        raise MediaError(
            _("het pad ‘%(path)s’ wijst naar een bestand buiten de map van het bestand")
            % {"path": value}
        )
    if not path.is_file():
        raise MediaError(_("het bestand ‘%(path)s’ bestaat niet") % {"path": value})
    size = path.stat().st_size
    limit = settings.MEDIA_MAX_UPLOAD_BYTES
    if size > limit:
        raise MediaError(
            _("het bestand ‘%(path)s’ is te groot (%(size)s); het maximum is %(max)s")
            % {"path": value, "size": filesizeformat(size), "max": filesizeformat(limit)}
        )
    if size == 0:
        raise MediaError(_("het bestand ‘%(path)s’ is leeg") % {"path": value})
    extension = path.suffix.lower().lstrip(".")
    allowed, folder = KINDS[kind]
    file_type = next((t for t in allowed if extension in t.extensions), None)
    if file_type is None:
        raise MediaError(
            _("het bestandstype van ‘%(path)s’ is hier niet toegestaan; toegestaan: %(allowed)s")
            % {"path": value, "allowed": ", ".join(f".{e}" for t in allowed for e in t.extensions)}
        )
    with path.open("rb") as handle:
        head = handle.read(64)
        decodes = file_type not in uploads.IMAGE_TYPES or uploads.decodes_as_image(
            handle, file_type
        )
    if not file_type.matches(head) or not decodes:
        raise MediaError(
            _(
                "de inhoud van ‘%(path)s’ past niet bij de extensie: dit is geen geldig "
                "%(label)s-bestand"
            )
            % {"path": value, "label": file_type.label}
        )
    digest = _hash(path)
    stem = get_valid_filename(path.stem)[:40] or "bestand"
    return StagedMedia(
        source=path, digest=digest, storage_name=f"{folder}/{digest}-{stem}.{extension}"
    )


def store_media(staged: StagedMedia) -> str:
    """Copy the staged file into MEDIA storage unless it is there already; return its name."""
    if not default_storage.exists(staged.storage_name):
        with staged.source.open("rb") as handle:
            name = default_storage.save(staged.storage_name, File(handle))
        return name
    return staged.storage_name


def stored_digest(field_file) -> str:
    """The content digest of a stored FieldFile: from its name if we stored it, else its bytes."""
    match = _STORED_NAME.search(field_file.name)
    if match:
        return match.group(1)
    sha = hashlib.sha256()
    with field_file.storage.open(field_file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            sha.update(chunk)
    return sha.hexdigest()[:DIGEST_LENGTH]


def export_name(field_file) -> str:
    """The file name to use when exporting: the stored name without our digest prefix."""
    name = PurePosixPath(field_file.name).name
    match = _STORED_NAME.search(field_file.name)
    return name[DIGEST_LENGTH + 1 :] if match else name
