from django.core.management.base import BaseCommand, CommandError

from records.models import AccreditationBody


class Command(BaseCommand):
    help = (
        "Issue a new API token for an accreditation body (replaces the old one) and print it once."
    )

    def add_arguments(self, parser):
        parser.add_argument("body", help="the body's slug")

    def handle(self, *args, **options):
        body = AccreditationBody.objects.filter(slug=options["body"]).first()
        if body is None:
            raise CommandError(f"No accreditation body with slug {options['body']!r}.")
        self.stdout.write(body.issue_api_token())
