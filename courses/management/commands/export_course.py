from django.core.management.base import BaseCommand, CommandError

from courses.course_files import export_version
from courses.course_files.archive import export_archive
from courses.models import Course, CourseVersion


class Command(BaseCommand):
    help = (
        "Write a course version as a YAML course file or a zip with its media (the published "
        "version unless --draft)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument(
            "-o",
            "--output",
            required=True,
            metavar="PATH",
            help="A .zip to write (course file and media, as the author area imports it), a "
            ".yaml file, or a folder to write <slug>.yaml in.",
        )
        parser.add_argument(
            "--draft", action="store_true", help="Export the draft version instead."
        )

    def handle(self, *args, slug, output, draft, **options):
        course = Course.objects.filter(slug=slug).select_related("published_version").first()
        if course is None:
            raise CommandError(f"Cursus ‘{slug}’ bestaat niet.")
        if draft:
            version = course.versions.filter(status=CourseVersion.Status.DRAFT).first()
        else:
            version = course.published_version
        if version is None:
            which = "concept" if draft else "gepubliceerde versie"
            raise CommandError(f"Cursus ‘{slug}’ heeft geen {which}.")
        if output.lower().endswith(".zip"):
            export_archive(version, output)
            path = output
        else:
            path = export_version(version, output)
        self.stdout.write(f"{slug} v{version.number} ({version.status}) -> {path}")
