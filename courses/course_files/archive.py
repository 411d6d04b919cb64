"""Importing a zip of course files (YAML plus media) uploaded by an author.

The archive is checked whole before anything is unpacked (lms.lib.safezip), then validated
(every file, every reference) before anything is written, and written in one transaction:
a refused upload leaves no row and no course behind.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from lms.lib.safezip import Limits, UnsafeArchive, safe_extract
from lms.lib.uploads import UPLOAD_CAP_FACTOR

from ..models import Course, CourseRole
from .errors import ContentError, ContentFilesInvalid
from .exporter import export_version
from .importer import FileResult, check_files, import_content


class ArchiveRefused(Exception):
    """The upload was refused; `messages` are learner-readable (author-readable) reasons."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def unsafe_reason(exc: UnsafeArchive) -> str:
    reasons = {
        "backslash": _("‘%(member)s’: backslashes in een pad zijn niet toegestaan."),
        "absolute": _("‘%(member)s’: absolute paden zijn niet toegestaan."),
        "parent": _("‘%(member)s’: ‘..’ in een pad is niet toegestaan."),
        "link": _("‘%(member)s’: symbolische links zijn niet toegestaan."),
        "encrypted": _("‘%(member)s’: versleutelde bestanden zijn niet toegestaan."),
        "size": _("‘%(member)s’: het bestand is te groot."),
        "bomb": _("‘%(member)s’: het bestand pakt verdacht groot uit (zip-bom)."),
        "count": _("het archief bevat te veel bestanden."),
        "total": _("het archief is uitgepakt te groot."),
        "invalid": _("dit is geen geldig zip-bestand."),
        "conflict": _("‘%(member)s’ staat twee keer in het archief, of als bestand én als map."),
    }
    return reasons.get(exc.code, _("het archief is onveilig.")) % {"member": exc.member}


def archive_limits() -> Limits:
    return Limits(
        max_member_bytes=settings.MEDIA_MAX_UPLOAD_BYTES,
        # The largest upload any form takes: the request parser stops storing past it too.
        max_total_bytes=UPLOAD_CAP_FACTOR * settings.MEDIA_MAX_UPLOAD_BYTES,
    )


def _relative(errors: list[ContentError], root: Path) -> list[str]:
    prefix = str(root.resolve()) + "/"
    return [str(error).replace(prefix, "") for error in errors]


def import_archive(upload, user, progress=None) -> list[FileResult]:
    """Import the course files in zip `upload` for `user`, as drafts (never published).

    Returns one FileResult per file. Raises ArchiveRefused, having written nothing, when the zip is
    unsafe or invalid, when it holds shared files (personas, glossary, tracks) and the user is not
    a superuser, or when it changes a course the user is not an author of. Writes new draft
    versions, makes the user author of courses it creates, and records the change.
    `progress(percent)`, when given, hears how far it is (after unpacking and after checking).
    """
    from ..models.authoring import ChangeRecord
    from ..publishing import record_change  # authoring workflow module; imported late (cycle)

    with tempfile.TemporaryDirectory(prefix="spk-import-") as tmp:
        root = Path(tmp)
        try:
            safe_extract(upload, root, archive_limits())
        except UnsafeArchive as exc:
            raise ArchiveRefused(
                [_("Het zip-bestand is geweigerd: %(reason)s") % {"reason": unsafe_reason(exc)}]
            ) from exc
        if progress:
            progress(30)
        try:
            items = check_files([root])
        except ContentFilesInvalid as exc:
            raise ArchiveRefused(_relative(exc.errors, root)) from exc
        if not items:
            raise ArchiveRefused([_("Het zip-bestand bevat geen cursusbestanden (.yaml).")])

        problems = []
        editable = set(Course.objects.editable_by(user).values_list("slug", flat=True))
        existing = set(Course.objects.values_list("slug", flat=True))
        for item in items:
            if item.kind != "course":
                if not user.is_superuser:
                    problems.append(
                        _(
                            "%(file)s: persona's, begrippen en leerlijnen kan alleen een "
                            "beheerder importeren."
                        )
                        % {"file": item.name.replace(str(root.resolve()) + "/", "")}
                    )
                continue
            slug = item.data["slug"]
            if slug in existing and slug not in editable:
                problems.append(
                    _(
                        "Je bent geen auteur van de cursus ‘%(slug)s’; die kun je niet "
                        "overschrijven."
                    )
                    % {"slug": slug}
                )
            elif slug not in existing and not Course.may_be_created_by(user):
                problems.append(
                    _("Je mag geen nieuwe cursussen aanmaken (‘%(slug)s’).") % {"slug": slug}
                )
        if problems:
            raise ArchiveRefused(problems)
        if progress:
            progress(60)

        with transaction.atomic():
            results = import_content([root], publish=False, user=user)
            for result in results:
                if result.kind != "course":
                    continue
                course = Course.objects.get(slug=result.slug)
                if result.slug not in existing:
                    CourseRole.objects.get_or_create(
                        course=course, user=user, role=CourseRole.Role.AUTHOR
                    )
                if result.action != "unchanged":
                    record_change(
                        user,
                        course,
                        ChangeRecord.Action.DRAFT,
                        obj=course,
                        summary=_("Geïmporteerd uit een zip-bestand: versie %(n)s")
                        % {"n": result.version},
                    )
        for result in results:
            result.file = result.file.replace(str(root.resolve()) + "/", "")
        return results


def export_archive(version, target) -> None:
    """Write `version` as a zip of its course file and media (`<slug>.yaml`, `media/<slug>/…`),
    the layout `import_archive` reads; `target` is a path or a writable binary file."""
    with tempfile.TemporaryDirectory(prefix="spk-export-") as tmp:
        root = Path(tmp)
        export_version(version, root)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(root).as_posix())
