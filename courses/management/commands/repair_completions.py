from django.core.management.base import BaseCommand

from courses import services
from courses.models import Enrollment


class Command(BaseCommand):
    help = (
        "Give every learner who met all requirements of a course (required lessons done, final "
        "test passed) but has no completion their completion and certificate. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--course", metavar="SLUG", help="only this course")

    def handle(self, *args, course=None, **options):
        enrollments = Enrollment.objects.filter(completion__isnull=True).order_by("pk")
        if course:
            enrollments = enrollments.filter(course__slug=course)
        repaired = 0
        for enrollment in enrollments.iterator():
            if services.repair_completion(enrollment):
                repaired += 1
                self.stdout.write(f"{enrollment.course.slug}: enrolment {enrollment.pk} completed")
        self.stdout.write(f"{repaired} completion(s) repaired.")
