import json

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import models
from django.urls import reverse

from accounts import services as privacy
from accounts.models import RegisterNumber, User
from courses import services, signals
from courses.models import (
    Answer,
    CourseCompletion,
    CourseRole,
    Enrollment,
    LessonProgress,
    QuizAttempt,
    Reflection,
    ReflectionBlock,
    ScenarioBlock,
    ScenarioDecision,
)
from tests import factories
from tests.factories import correct_answers

pytestmark = pytest.mark.django_db

SECRET_REFLECTION = "Ik merk dat ik bij Levi aannames deed."
OTHER_REFLECTION = "Dit is de reflectie van iemand anders."


def build_history(user, course, reflection_text, complete=True):
    """Enrol `user`, work through every block kind and (optionally) pass the final test."""
    enrollment = services.enroll_learner(user, course)
    lessons = list(enrollment.version.lessons_in_order())
    for lesson in lessons:
        services.start_lesson(enrollment, lesson)
    reflection_block = ReflectionBlock.objects.get(lesson__module__version=enrollment.version)
    services.save_reflection(user, reflection_block, reflection_text)
    scenario = ScenarioBlock.objects.get(lesson__module__version=enrollment.version)
    services.record_scenario_choice(enrollment, scenario.first_step.choices.first())
    final = enrollment.version.final_test
    if complete:
        for lesson in lessons:
            services.complete_lesson(enrollment, lesson)
        services.submit_attempt(
            services.start_attempt(enrollment, final).pk, correct_answers(final), user
        )
    else:
        services.submit_attempt(services.start_attempt(enrollment, final).pk, {}, user)
    # Fresh, because the services cached "no completion yet" on this instance.
    return Enrollment.objects.get(pk=enrollment.pk)


@pytest.fixture
def rich_course(db):
    course = factories.make_course(slug="rijk", publish=False)
    lesson = course.versions.get().modules.get().lessons.first()
    factories.add_every_block_kind(lesson, start=1)
    factories.publish_version(course.versions.get())
    return course


@pytest.fixture
def history(learner, outsider, rich_course, course):
    RegisterNumber.objects.create(user=learner, register="big", number="00123456789")
    RegisterNumber.objects.create(user=outsider, register="vvn", number="09876543210")
    done = build_history(learner, rich_course, SECRET_REFLECTION)
    build_history(outsider, rich_course, OTHER_REFLECTION)
    services.enroll_learner(learner, course)  # started, nothing done
    return done


def test_it_exports_the_learners_own_data(learner, history):
    data = privacy.export_learner_data(learner)
    assert data["profile"]["email"] == "learner@example.org"
    assert data["profile"]["profession"] == "huisarts"
    assert data["register_numbers"] == [
        {
            "register": "big",
            "register_name": "",
            "number": "00123456789",
            "created_at": data["register_numbers"][0]["created_at"],
        }
    ]
    by_course = {e["course"]: e for e in data["enrollments"]}
    assert set(by_course) == {"rijk", "basis"}
    rijk = by_course["rijk"]
    assert {p["lesson_key"] for p in rijk["lesson_progress"]} == {"les-1", "les-2"}
    assert all(p["completed_at"] for p in rijk["lesson_progress"])
    assert rijk["scenario_decisions"][0]["choice"] == "Vraag door"
    final = next(a for a in rijk["attempts"] if a["quiz_kind"] == "final")
    assert final["passed"] is True and final["score"] == 1.0
    assert len(final["answers"]) == 3 and all(a["is_correct"] for a in final["answers"])
    assert rijk["completion"]["verification_code"] == history.completion.verification_code
    assert by_course["basis"]["completion"] is None
    assert [r["text"] for r in data["reflections"]] == [SECRET_REFLECTION]
    json.dumps(data)  # JSON-ready as it is


def test_it_exports_nothing_of_other_learners(learner, outsider, history):
    dumped = json.dumps(privacy.export_learner_data(learner))
    assert OTHER_REFLECTION not in dumped
    assert "outsider@example.org" not in dumped and "09876543210" not in dumped
    other_enrollment = Enrollment.objects.get(user=outsider)
    assert str(other_enrollment.registration) not in dumped


def test_it_exports_in_a_fixed_number_of_queries(learner, history, django_assert_num_queries):
    # enrolments, progress, decisions, attempts, answers, completions, reflections, register
    # numbers, masterclass registrations
    with django_assert_num_queries(9):
        data = privacy.export_learner_data(learner)
    assert data["reflections"][0]["prompt"]


def test_it_downloads_the_export_as_a_json_file(client, learner, history):
    assert client.get(reverse("privacy_download"))["Location"].startswith(reverse("login"))
    client.force_login(learner)
    response = client.get(reverse("privacy_download"))
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(
        'attachment; filename="spreekkamer-mijn-gegevens-'
    )
    data = json.loads(response.content)
    assert data["profile"]["email"] == "learner@example.org"
    assert data["reflections"][0]["text"] == SECRET_REFLECTION


def user_foreign_keys():
    """Every (model, field) pointing at a user, directly or through an enrolment."""
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(
                field, models.ForeignKey | models.OneToOneField
            ) and field.related_model in (
                User,
                Enrollment,
            ):
                found.append((model, field))
    return found


# What deletion may keep: the completed enrolment and its completion, tied to the pseudonym.
KEPT = {(Enrollment, "user"), (CourseCompletion, "enrollment")}


def test_it_deletes_every_piece_of_personal_data_but_keeps_completions(learner, history):
    learner.groups.create(name="redactie")
    course_role = CourseRole.objects.create(
        course=history.course, user=learner, role=CourseRole.Role.AUTHOR
    )
    completion = history.completion
    user = privacy.delete_learner_account(learner)

    assert user.pk == learner.pk
    assert user.email.endswith("@verwijderd.invalid") and user.username == user.email
    assert "learner" not in user.email
    assert (
        user.first_name,
        user.last_name,
        user.initials,
        user.surname_prefix,
        user.profession,
    ) == ("", "", "", "", "")
    assert not user.is_active and not user.has_usable_password() and user.last_login is None
    assert not user.groups.exists()
    assert not CourseRole.objects.filter(pk=course_role.pk).exists()

    # Every model holding rows about this user, by foreign key, is empty for them except KEPT.
    for model, field in user_foreign_keys():
        target = user if field.related_model is User else Enrollment.objects.filter(user=user)
        lookup = field.name if field.related_model is User else f"{field.name}__in"
        rows = model._default_manager.filter(**{lookup: target})
        if (model, field.name) in KEPT:
            continue
        assert not rows.exists(), (
            f"{model.__name__}.{field.name} still holds data of the deleted user"
        )

    assert list(Enrollment.objects.filter(user=user)) == [history]
    kept = Enrollment.objects.get(user=user)
    assert kept.last_lesson_key == "" and kept.last_activity_at is None
    assert (
        CourseCompletion.objects.get(pk=completion.pk).verification_code
        == completion.verification_code
    )
    assert not Reflection.objects.filter(text=SECRET_REFLECTION).exists()
    assert not RegisterNumber.objects.filter(number="00123456789").exists()


def test_it_leaves_other_learners_alone(learner, outsider, history):
    privacy.delete_learner_account(learner)
    other = Enrollment.objects.get(user=outsider)
    assert Reflection.objects.filter(user=outsider).count() == 1
    assert RegisterNumber.objects.filter(user=outsider).count() == 1
    assert LessonProgress.objects.filter(enrollment=other).count() == 2
    assert QuizAttempt.objects.filter(enrollment=other).count() == 1
    assert Answer.objects.filter(attempt__enrollment=other).count() == 3
    assert ScenarioDecision.objects.filter(enrollment=other).count() == 1


def test_it_still_verifies_the_certificate_without_a_name(client, learner, history):
    url = history.completion.get_absolute_url()
    assert "Test" in client.get(url).content.decode()
    pseudonym = privacy.delete_learner_account(learner).email
    html = client.get(url).content.decode()
    assert "Ja" in html  # geldig
    assert history.version.title in html
    assert "Persoon" not in html and "learner@example.org" not in html
    assert pseudonym not in html and "verwijderd-" not in html
    # Not an empty name: the page says to whom it was issued.
    assert "Uitgegeven aan een account dat sindsdien is verwijderd" in html


def test_it_deletes_the_account_after_the_password_is_confirmed(client, learner, history):
    client.force_login(learner)
    other_device = Session.objects.get()
    response = client.post(reverse("privacy_delete"), {"password": "fout"})
    assert response.status_code == 400
    assert "Dit wachtwoord klopt niet. Je account is niet verwijderd." in response.content.decode()
    assert User.objects.get(pk=learner.pk).email == "learner@example.org"

    response = client.post(reverse("privacy_delete"), {"password": factories.PASSWORD})
    assert response["Location"] == reverse("account_deleted")
    assert client.get(reverse("profile")).status_code == 302  # logged out
    assert not client.login(email="learner@example.org", password=factories.PASSWORD)
    assert not User.objects.filter(email="learner@example.org").exists()
    assert not Session.objects.filter(pk=other_device.pk).exists()


def test_it_deletes_nothing_when_deletion_fails_halfway(learner, history, monkeypatch):
    def broken_save(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(User, "save", broken_save)
    with pytest.raises(RuntimeError):
        privacy.delete_learner_account(learner)
    monkeypatch.undo()
    assert Reflection.objects.filter(user=learner).count() == 1
    assert RegisterNumber.objects.filter(user=learner).count() == 1
    assert Enrollment.objects.filter(user=learner).count() == 2
    assert Answer.objects.filter(attempt__enrollment__user=learner).count() == 3


def test_it_lets_other_apps_remove_their_data_in_the_same_transaction(learner, history):
    seen = []

    def receiver(sender, user, **kwargs):
        seen.append(user.email)
        raise RuntimeError("the xAPI outbox could not be cleaned")

    signals.account_deleting.connect(receiver, dispatch_uid="test-privacy")
    try:
        with pytest.raises(RuntimeError):
            privacy.delete_learner_account(learner)
    finally:
        signals.account_deleting.disconnect(dispatch_uid="test-privacy")
    assert seen == ["learner@example.org"]
    assert User.objects.get(pk=learner.pk).email == "learner@example.org"
    assert Reflection.objects.filter(user=learner).exists()
