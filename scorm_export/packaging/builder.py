"""Package builders: one class per standard, each the same shape (manifest, extra assets).

The whole course is one SCO (cmi5: one AU) with navigation inside the package. One SCO keeps the
state in one place — suspend_data for resume, one score, one completion — and works the same in
every LMS, including those that show no table of contents of their own; per-lesson SCOs would need
SCORM 2004 sequencing and rollup rules to get the course-level result right, which LMSs implement
unevenly.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from lms.lib.safezip import Member, UnsafePath, safe_member_name, write_deterministic_zip

from . import manifest as manifests
from .content import CourseContent, PackageContentError, load_course_content

PACKAGE_STATIC = Path(__file__).resolve().parent.parent / "package_static"
LAUNCH_PAGE = "index.html"
# The course's verantwoording, readable offline; linked from the package's navigation.
ACCOUNTABILITY_PAGE = "verantwoording.html"

Progress = Callable[[int], None]


class PackageError(ValueError):
    """The package cannot be built; the message is for the author (Dutch)."""


class PackageBuilder:
    """Builds the zip of one course version. Subclasses set `standard` and `manifest_name`, and
    implement `manifest()`; `extra_assets()` adds files only that standard needs.
    """

    standard = ""
    manifest_name = ""

    def __init__(self, version, progress: Progress | None = None):
        self.version = version
        self.progress = progress or (lambda percent: None)

    # --- what differs per standard ---

    def manifest(self, info: manifests.ManifestInfo) -> bytes:
        raise NotImplementedError

    def extra_assets(self) -> dict[str, bytes]:
        return {}

    # --- shared ---

    def identifier(self) -> str:
        # xs:ID must not start with a digit; slugs may.
        return f"spreekkamer-{self.version.course.slug}-v{self.version.number}"

    def course_iri(self) -> str:
        # An identifier for the LRS, not an address the package ever calls: the same activity id
        # Spreekkamer's own statements use (XAPI_ACTIVITY_BASE), so records from a package and
        # from the site match.
        from records.xapi import course_iri

        return course_iri(self.version.course.slug)

    def members(self) -> dict[str, Member]:
        """Every file of the package (path → bytes or opener), manifest and schemas included."""
        self.progress(5)
        try:
            content = load_course_content(self.version)
        except PackageContentError as exc:
            raise PackageError(str(exc)) from exc
        self.progress(15)
        files: dict[str, Member] = {}
        files.update(self.static_assets())
        files.update(self.extra_assets())
        files[LAUNCH_PAGE] = self.render_page(content)
        files[ACCOUNTABILITY_PAGE] = self.render_accountability()
        self.progress(20)
        # Media are only opened while the zip is written; they report 30–95 % as they go in.
        files.update(self.media_files(content, start=30, end=95))
        sco_files = tuple(sorted(files))
        info = manifests.ManifestInfo(
            identifier=self.identifier(),
            title=self.version.title,
            description=self.version.summary,
            language=self.version.language,
            launch=LAUNCH_PAGE,
            files=sco_files,
            mastery_score=content.final.quiz.pass_mark if content.final else None,
            course_iri=self.course_iri(),
        )
        files.update(manifests.schema_files(self.standard))
        manifest = files[self.manifest_name] = self.manifest(info)
        # Refuse to ship a package our own validator rejects: better no package than a broken one.
        manifests.validate_manifest(self.standard, manifest, frozenset(files))
        self.progress(25)
        return files

    def build(self, target: str | Path | BinaryIO) -> None:
        """Write the package zip to `target`; raises PackageError (Dutch message) on bad content."""
        members = self.members()
        try:
            write_deterministic_zip(target, members)
        except UnsafePath as exc:
            raise PackageError(
                _("Een bestandsnaam in de cursus is niet veilig: %(error)s") % {"error": exc}
            ) from exc
        self.progress(100)

    def build_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.build(buffer)
        return buffer.getvalue()

    def static_assets(self) -> dict[str, bytes]:
        return {
            f"assets/{path.name}": path.read_bytes()
            for path in sorted(PACKAGE_STATIC.iterdir())
            if path.suffix in {".js", ".css"}
        }

    def render_page(self, content: CourseContent) -> bytes:
        with translation.override(self.version.language):
            data = {
                "standard": self.standard,
                "courseKey": self.identifier(),
                "passMark": content.final.quiz.pass_mark if content.final else None,
                "maxAttempts": content.final.quiz.max_attempts if content.final else None,
                "pages": [
                    {"key": p.key, "kind": p.kind, "required": p.required, "dom": p.dom_id}
                    for p in content.pages
                ],
                "quizzes": {
                    dom_id: item.answer_data() for dom_id, item in sorted(content.quizzes.items())
                },
                "messages": package_messages(),
            }
            html = render_to_string(
                "scorm_export/package/index.html",
                {
                    "version": self.version,
                    "content": content,
                    "data": data,
                    "standard": self.standard,
                },
            )
        return html.encode("utf-8")

    def render_accountability(self) -> bytes:
        """The verantwoording page of this version, with the site's content (one template)."""
        from courses.accountability import course_accountability

        with translation.override(self.version.language):
            context = course_accountability(self.version.course, self.version)
            html = render_to_string("scorm_export/package/accountability.html", context)
        return html.encode("utf-8")

    def media_files(self, content: CourseContent, start: int, end: int) -> dict[str, Member]:
        """Openers for the uploaded files (streamed into the zip one by one, reporting progress)."""
        files: dict[str, Member] = {}
        items = sorted(content.media.items())
        for n, (path, storage_name) in enumerate(items, start=1):
            try:
                safe_member_name(path)
            except UnsafePath as exc:
                raise PackageError(
                    _("Onveilige bestandsnaam: %(name)s") % {"name": storage_name}
                ) from exc
            if not default_storage.exists(storage_name):
                raise PackageError(
                    _("Het bestand %(name)s ontbreekt; upload het opnieuw.")
                    % {"name": storage_name}
                )
            files[path] = self._opener(storage_name, start + (end - start) * n // len(items))
        return files

    def _opener(self, storage_name: str, percent: int):
        def open_file():
            self.progress(percent)
            return default_storage.open(storage_name, "rb")

        return open_file


class Scorm12Builder(PackageBuilder):
    standard = "scorm12"
    manifest_name = "imsmanifest.xml"

    def manifest(self, info):
        return manifests.scorm12_manifest(info)


class Scorm2004Builder(PackageBuilder):
    standard = "scorm2004"
    manifest_name = "imsmanifest.xml"

    def manifest(self, info):
        return manifests.scorm2004_manifest(info)


class Cmi5Builder(PackageBuilder):
    standard = "cmi5"
    manifest_name = "cmi5.xml"
    # The browser build of @xapi/cmi5, vendored with its licences (package_static/vendor/): the AU
    # needs nothing online and the server never reads node_modules.
    library = PACKAGE_STATIC / "vendor" / "cmi5.umd.js"

    def manifest(self, info):
        return manifests.cmi5_course_structure(info)

    def extra_assets(self):
        return {"assets/lib/cmi5.umd.js": self.library.read_bytes()}


BUILDERS: dict[str, type[PackageBuilder]] = {
    Scorm12Builder.standard: Scorm12Builder,
    Scorm2004Builder.standard: Scorm2004Builder,
    Cmi5Builder.standard: Cmi5Builder,
}


def builder_for(standard: str, version, progress: Progress | None = None) -> PackageBuilder:
    try:
        return BUILDERS[standard](version, progress)
    except KeyError:
        raise PackageError(
            _("Onbekende standaard: %(standard)s") % {"standard": standard}
        ) from None


def package_messages() -> dict[str, str]:
    """The texts the package's JavaScript shows, translated at build time."""
    return {
        "correct": _("Goed."),
        "incorrect": _("Niet goed."),
        "score": _("Je score: %(score)s%%."),
        "passed": _("Je bent geslaagd voor de eindtoets."),
        "failed": _("Je hebt de slaaggrens niet gehaald: minimaal %(mark)s%% goed."),
        "retry": _("Je kunt de toets opnieuw maken."),
        "noAttemptsLeft": _("Je hebt geen pogingen meer over."),
        "unanswered": _("Beantwoord eerst alle vragen."),
        "saved": _("Je reflectie is in deze browser bewaard."),
        "resumed": _("Welkom terug. Je gaat verder waar je gebleven was."),
        "progress": _("%(done)s van %(total)s onderdelen afgerond"),
        "done": _("afgerond"),
        "notDone": _("nog niet afgerond"),
        "finished": _("Je voortgang is opgeslagen. Je kunt dit venster nu sluiten."),
        "noLms": _(
            "Geen verbinding met de leeromgeving gevonden; je voortgang wordt niet opgeslagen."
        ),
        "lmsError": _("De leeromgeving meldde een fout: %(message)s"),
        "thanks": _("Dank je wel, je antwoorden zijn genoteerd."),
        "courseComplete": _("Je hebt alle onderdelen van de cursus afgerond."),
        "endOfScenario": _("Einde van het scenario."),
    }


def write_package(version, standard: str, target, progress: Progress | None = None) -> None:
    """Build the `standard` package of `version` into `target` (a path or binary file)."""
    builder_for(standard, version, progress).build(target)


__all__ = [
    "BUILDERS",
    "Cmi5Builder",
    "PackageBuilder",
    "PackageError",
    "Scorm12Builder",
    "Scorm2004Builder",
    "builder_for",
    "write_package",
]
