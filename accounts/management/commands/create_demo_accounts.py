import datetime as dt
import random

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from courses import simulator
from courses.learner_mail import no_learner_mail
from courses.models import (
    Course,
    CourseRole,
    Enrollment,
    LiveSessionEdition,
    LiveSessionType,
    TrackCourse,
)

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
            if role == "learner":
                give_learner_history(user)
            self.stdout.write(f"  {role:8} {email:26} password: {DEMO_PASSWORD}")
        self.create_demo_editions(User.objects.get(email="auteur@example.org"))

    def create_demo_editions(self, trainer):
        """DEMO ONLY: one invented edition per masterclass without an upcoming one, so a laptop
        can try registration and attendance. The source documents give no dates or places;
        these editions are marked `is_demo` and say so on the page."""
        for session_type in LiveSessionType.objects.all():
            if session_type.editions.upcoming().filter(is_demo=True).exists():
                continue
            day = timezone.localdate() + dt.timedelta(days=14)
            starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(14, 0)))
            edition = LiveSessionEdition.objects.create(
                session_type=session_type,
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=3),
                location="Demo-locatie (geen echte bijeenkomst)",
                capacity=12,
                registration_deadline=starts_at - dt.timedelta(days=2),
                is_demo=True,
            )
            edition.trainers.add(trainer)
            self.stdout.write(f"  demo     {session_type.title}: {starts_at:%d-%m-%Y %H:%M}")


def give_learner_history(user) -> None:
    """A lived-in dashboard: the first course of the leerlijn completed (certificate), the
    second one in progress; both walked through the real services, once (a re-run adds nothing)."""
    if Enrollment.objects.filter(user=user).exists():
        return
    in_track = [
        entry.course
        for entry in TrackCourse.objects.filter(course__published_version__isnull=False)
        .select_related("course__published_version")
        .order_by("track__title", "position")
    ]
    others = Course.objects.published().order_by("slug").select_related("published_version")
    courses = list(dict.fromkeys(in_track + list(others)))[:2]
    rng = random.Random(2026)
    plans = [(simulator.COMPLETE, None), (simulator.STOP, 2)]
    for course, (outcome, stop_after) in zip(courses, plans, strict=False):
        plan = simulator.load_plan(course)
        with no_learner_mail():  # a demo, not a person: no enrolment or certificate mail
            simulator.simulate_course(
                simulator.OneByOne(), user, plan, rng, outcome=outcome, stop_after=stop_after
            )
