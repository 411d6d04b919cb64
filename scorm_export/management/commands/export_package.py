"""`manage.py export_package SLUG --standard scorm12|scorm2004|cmi5 -o FILE.zip`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from courses.models import Course, CourseVersion
from scorm_export.packaging.builder import BUILDERS, PackageError, write_package


class Command(BaseCommand):
    help = "Export a course as a SCORM 1.2, SCORM 2004 or cmi5 package (zip)."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the course slug")
        parser.add_argument("--standard", required=True, choices=sorted(BUILDERS))
        parser.add_argument(
            "-o", "--output", required=True, type=Path, help="the zip file to write"
        )
        parser.add_argument(
            "--version-number",
            dest="version_number",
            type=int,
            default=None,
            help="version number to export (default: the published version, else the newest)",
        )

    def handle(self, slug, standard, output, version_number, **options):
        course = Course.objects.filter(slug=slug).select_related("published_version").first()
        if course is None:
            raise CommandError(f"No course with slug {slug!r}")
        if version_number is not None:
            version = CourseVersion.objects.filter(course=course, number=version_number).first()
        else:
            version = course.published_version or course.versions.order_by("-number").first()
        if version is None:
            raise CommandError(f"Course {slug!r} has no such version")
        version.course = course
        # Build next to the target and rename, so a failure never leaves a half-written zip behind.
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        try:
            with partial.open("wb") as fh:
                write_package(version, standard, fh)
        except PackageError as exc:
            partial.unlink(missing_ok=True)
            raise CommandError(str(exc)) from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(output)
        self.stdout.write(f"{output} ({output.stat().st_size} bytes, {standard}, {version})")
