from django.core.management.base import BaseCommand, CommandError
from django.db import reset_queries

from courses.models import Course
from courses.simulator import PROFILES, seed_activity


class Command(BaseCommand):
    help = (
        "Create N simulated learners who enrol in and work through the published courses "
        "(via the learning services; reproducible per --seed; one transaction per batch of "
        "learners)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=50)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--email-prefix",
            default="leerling",
            help="Learners get <prefix>-<seed>-<n>@example.org.",
        )
        parser.add_argument(
            "--profile",
            choices=PROFILES,
            default="mixed",
            help="mixed: learners complete, fail or stop; guesser: every learner takes every "
            "final test at once answering by position only (to show that guessing fails).",
        )
        parser.add_argument(
            "--password",
            default="",
            help="Password for every simulated learner (default: none, cannot log in).",
        )

    def handle(self, *args, learners, seed, email_prefix, password, profile, verbosity, **options):
        if learners < 0:
            raise CommandError("--learners must be 0 or more")
        if not Course.objects.published().exists():
            raise CommandError("There is no published course to learn from; load content first.")

        def progress(done, total):
            # With DEBUG on, Django keeps the SQL of the last 9,000 queries, bulk inserts of
            # thousands of rows among them: forgotten after each batch, memory stays flat.
            reset_queries()
            if verbosity >= 2 or (verbosity >= 1 and (done % 100 == 0 or done == total)):
                self.stdout.write(f"  {done}/{total} learners")

        report = seed_activity(
            learners,
            seed,
            email_prefix=email_prefix,
            password=password or None,
            progress=progress,
            profile=profile,
        )
        outcomes = ", ".join(f"{k}: {v}" for k, v in report.outcomes.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Created {report.learners} learners ({report.skipped} already there), "
                f"{report.enrollments} enrolments ({outcomes})."
            )
        )
