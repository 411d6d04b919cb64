from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from courses.models import Course, CourseRole

DEMO_PASSWORD = "spreekkamer-demo"  # noqa: S105 - printed on start, for a laptop only

ACCOUNTS = [
    # email, first name, last name, profession, staff, superuser, role
    ("leerling@example.org", "Sam", "de Vries", User.Profession.HUISARTS, False, False, "learner"),
    ("auteur@example.org", "Noor", "Jansen", User.Profession.POH_GGZ, True, False, "author"),
    ("reviewer@example.org", "Kim", "Bakker", User.Profession.HUISARTS, False, False, "reviewer"),
    ("admin@example.org", "Admin", "Spreekkamer", "", True, True, "admin"),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo learner, author and admin accounts and print their logins."

    @transaction.atomic
    def handle(self, *args, **options):
        for email, first, last, profession, staff, superuser, role in ACCOUNTS:
            user, _created = User.objects.get_or_create(email=email)
            user.first_name, user.last_name, user.profession = first, last, profession
            user.is_staff, user.is_superuser = staff, superuser
            user.set_password(DEMO_PASSWORD)
            user.save()
            if role in {"author", "reviewer"}:
                for course in Course.objects.all():
                    CourseRole.objects.get_or_create(course=course, user=user, role=role)
            self.stdout.write(f"  {role:8} {email:26} password: {DEMO_PASSWORD}")
