"""Plain factory functions for tests: small, explicit, one call per object."""

from __future__ import annotations

import itertools
import re
from contextlib import contextmanager

from django.utils import timezone

from accounts.models import User
from courses.models import (
    CalloutBlock,
    Course,
    CourseRole,
    CourseVersion,
    Lesson,
    Module,
    MultipleChoiceQuestion,
    Option,
    Persona,
    PersonaStoryBlock,
    Quiz,
    QuizBlock,
    ReflectionBlock,
    RichTextBlock,
    ScaleQuestion,
    ScenarioBlock,
    ScenarioChoice,
    ScenarioStep,
    SingleChoiceQuestion,
    TrueFalseQuestion,
)

_seq = itertools.count(1)

PASSWORD = "Sp3ekkamer-test-wachtwoord"


def make_user(email=None, **fields) -> User:
    n = next(_seq)
    fields.setdefault("first_name", "Test")
    fields.setdefault("last_name", f"Persoon {n}")
    return User.objects.create_user(
        email=email or f"user{n}@example.org", password=PASSWORD, **fields
    )


def login_session_key(user) -> str:
    """A stored session logging `user` in: its key as the `sessionid` cookie of raw HTTP."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key


def make_author(course=None, **fields) -> User:
    user = make_user(is_staff=True, **fields)
    if course is not None:
        CourseRole.objects.create(course=course, user=user, role=CourseRole.Role.AUTHOR)
    return user


def make_persona(slug=None, name="Levi") -> Persona:
    return Persona.objects.create(
        slug=slug or f"persona-{next(_seq)}", name=name, age=34, bio="<p>Bio</p>"
    )


def add_choice_question(
    quiz, position, correct_index=0, n_options=3, cls=SingleChoiceQuestion, tag="knowledge"
):
    question = cls.objects.create(
        quiz=quiz,
        position=position,
        key=f"q{position}",
        prompt=f"<p>Vraag {position}</p>",
        explanation="<p>Uitleg</p>",
        tag=tag,
    )
    for i in range(n_options):
        Option.objects.create(
            question=question,
            position=i,
            key=f"o{i}",
            text=f"Optie {i}",
            is_correct=(i == correct_index),
            feedback=f"<p>Feedback {i}</p>",
        )
    return question


def make_course(
    slug=None,
    *,
    lessons=2,
    blocks_per_lesson=1,
    final_questions=3,
    pass_mark=70,
    max_attempts=None,
    publish=True,
    title="Testcursus",
) -> Course:
    """A course: one module, `lessons` lessons of text blocks, a single-choice final test.

    Option 0 is correct in every final-test question.
    """
    course = Course.objects.create(slug=slug or f"cursus-{next(_seq)}")
    version = CourseVersion.objects.create(
        course=course,
        number=1,
        title=title,
        summary="Samenvatting",
        study_load_hours=2,
        accreditation_reference="PE-123",
    )
    module = Module.objects.create(version=version, key="m1", title="Module 1", position=0)
    for li in range(lessons):
        lesson = Lesson.objects.create(
            module=module, key=f"les-{li + 1}", title=f"Les {li + 1}", position=li
        )
        for bi in range(blocks_per_lesson):
            RichTextBlock.objects.create(
                lesson=lesson, position=bi, key=f"b{bi}", html=f"<p>Tekst {bi}</p>"
            )
    if final_questions:
        quiz = Quiz.objects.create(
            version=version,
            key="eindtoets",
            title="Eindtoets",
            kind=Quiz.Kind.FINAL,
            pass_mark=pass_mark,
            max_attempts=max_attempts,
        )
        for qi in range(final_questions):
            add_choice_question(quiz, qi)
    if publish:
        publish_version(version)
    return course


def publish_version(version: CourseVersion) -> CourseVersion:
    from courses.publishing import glossary_snapshots, persona_snapshots

    version.status = CourseVersion.Status.PUBLISHED
    version.published_at = timezone.now()
    version.personas = persona_snapshots(version)
    version.glossary = glossary_snapshots(version)
    version.save(update_fields=["status", "published_at", "personas", "glossary"])
    Course.objects.filter(pk=version.course_id).update(published_version=version)
    version.course.published_version = version
    return version


@contextmanager
def unpublished(version: CourseVersion):
    """Build test content on `version` as if it were not published yet: published content refuses
    every change (courses.models.VersionedContent), so fixtures that add to a published course
    set its status back to draft meanwhile (in the database and on `version`). Yields it."""
    rows = CourseVersion.objects.filter(pk=version.pk)
    status = rows.values_list("status", flat=True).get()
    rows.update(status=CourseVersion.Status.DRAFT)
    version.status = CourseVersion.Status.DRAFT
    try:
        yield version
    finally:
        rows.update(status=status)
        version.status = status


def add_every_block_kind(lesson: Lesson, persona: Persona | None = None, start=0) -> list:
    """Adds one block of each kind that needs no uploaded file; returns them."""
    persona = persona or make_persona()
    blocks = [
        RichTextBlock.objects.create(
            lesson=lesson, position=start, key=f"t{start}", html="<p>Tekst</p>"
        ),
        CalloutBlock.objects.create(
            lesson=lesson, position=start + 1, key=f"c{start}", html="<p>Let op</p>"
        ),
        PersonaStoryBlock.objects.create(
            lesson=lesson,
            position=start + 2,
            key=f"p{start}",
            persona=persona,
            title="Het verhaal van Levi",
            situation="<p>Situatie</p>",
            impacts=[
                {"kind": "domain", "label": "Werk", "text": "Verzuim"},
                {"kind": "stakeholder", "label": "Werkgever", "text": "Kosten"},
            ],
        ),
        ReflectionBlock.objects.create(
            lesson=lesson, position=start + 3, key=f"r{start}", prompt="<p>Wat vind jij?</p>"
        ),
    ]
    scenario = ScenarioBlock.objects.create(
        lesson=lesson, position=start + 4, key=f"s{start}", title="Scenario"
    )
    step1 = ScenarioStep.objects.create(
        scenario=scenario, key="start", position=0, situation="<p>Begin</p>"
    )
    step2 = ScenarioStep.objects.create(
        scenario=scenario, key="vervolg", position=1, situation="<p>Vervolg</p>"
    )
    ScenarioChoice.objects.create(
        step=step1,
        position=0,
        text="Vraag door",
        feedback="<p>Goed</p>",
        recommended=True,
        next_step=step2,
    )
    ScenarioChoice.objects.create(
        step=step1, position=1, text="Ga ervan uit", feedback="<p>Liever niet</p>"
    )
    ScenarioChoice.objects.create(
        step=step2, position=0, text="Rond af", feedback="<p>Prima</p>", recommended=True
    )
    blocks.append(scenario)
    quiz = Quiz.objects.create(
        version=lesson.module.version, key=f"oefen-{lesson.key}-{start}", title="Oefenen"
    )
    add_choice_question(quiz, 0)
    add_choice_question(quiz, 1, cls=MultipleChoiceQuestion)
    tf = TrueFalseQuestion.objects.create(quiz=quiz, position=2, key="tf", prompt="<p>Waar?</p>")
    Option.objects.create(question=tf, position=0, key="waar", text="Waar", is_correct=True)
    Option.objects.create(question=tf, position=1, key="niet-waar", text="Niet waar")
    blocks.append(
        QuizBlock.objects.create(lesson=lesson, position=start + 5, key=f"q{start}", quiz=quiz)
    )
    return blocks


def correct_answers(quiz):
    """Form data answering every question of `quiz` correctly (scale statements with 4)."""
    data = {}
    for question in quiz.questions.all():
        if isinstance(question, ScaleQuestion):
            data[f"q-{question.pk}"] = "4"
            continue
        correct = [o.pk for o in question.options.all() if o.is_correct]
        data[f"q-{question.pk}"] = (
            [str(pk) for pk in correct] if len(correct) > 1 else str(correct[0])
        )
    return data


def image_bytes(fmt: str = "PNG", size=(4, 3)) -> bytes:
    """A real, decodable image (uploads are decoded with Pillow before they are accepted)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, format=fmt)
    return buffer.getvalue()


def confirmation_path(message) -> str:
    """The path of the sign-up confirmation link in `message` (a mail from the sign-up page)."""
    found = re.search(r"https?://[^/\s]+(/accounts/aanmelden/bevestigen/\S+/)", message.body)
    assert found, message.body
    return found.group(1)


def spend_study_time(enrollment) -> None:
    """Credit the version's whole study load to the learner's first lesson, as a learner who read
    the lessons would have earned through heartbeats: an accredited course then completes."""
    from courses.models import LessonProgress

    lesson = Lesson.objects.filter(module__version_id=enrollment.version_id).order_by(
        "module__position", "position"
    )[0]
    seconds = int(enrollment.version.study_load_hours * 3600)
    progress, _created = LessonProgress.objects.get_or_create(
        enrollment=enrollment, lesson_key=lesson.key
    )
    LessonProgress.objects.filter(pk=progress.pk).update(seconds_spent=seconds)


def make_accreditation(course, **fields):
    """A BIG accreditation of `course` (2 points, valid from 2026), with `fields` changed."""
    import datetime

    from accounts.models import RegisterNumber
    from records.models import CourseAccreditation

    values = {
        "register": RegisterNumber.Register.BIG,
        "pe_course_id": "123456",
        "points": 2,
        "study_load_hours": 2,
        "valid_from": datetime.date(2026, 1, 1),
        **fields,
    }
    return CourseAccreditation.objects.create(course=course, **values)
