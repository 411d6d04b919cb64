"""xAPI 1.0.3 statement builders (with Rustici's `tincan`).

Every builder returns the statement as a JSON-ready dict. Ids are deterministic: `statement_id()`
is a uuid5 of an installation namespace and the event's identity, so writing or sending the same
event twice gives the same statement (the LRS deduplicates). Activity ids are stable IRIs under
XAPI_ACTIVITY_BASE built from keys that survive new course versions.

Privacy: statements carry scores, completion and the option keys a learner chose — never
reflections, scenario choices or any other free text a learner wrote. The actor is an opaque
account unless an accreditation body's configuration asks for e-mail or BIG number.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import uuid
from decimal import Decimal
from html import unescape

from django.conf import settings
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    AgentAccount,
    Context,
    ContextActivities,
    Extensions,
    LanguageMap,
    Result,
    Score,
    Statement,
    Verb,
)

XAPI_VERSION = "1.0.3"

VERBS = {
    "registered": ("http://adlnet.gov/expapi/verbs/registered", "ingeschreven", "registered"),
    "launched": ("http://adlnet.gov/expapi/verbs/launched", "gestart", "launched"),
    "completed": ("http://adlnet.gov/expapi/verbs/completed", "afgerond", "completed"),
    "answered": ("http://adlnet.gov/expapi/verbs/answered", "beantwoord", "answered"),
    "passed": ("http://adlnet.gov/expapi/verbs/passed", "geslaagd", "passed"),
    "failed": ("http://adlnet.gov/expapi/verbs/failed", "gezakt", "failed"),
}

ACTIVITY_TYPES = {
    "course": "http://adlnet.gov/expapi/activities/course",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "assessment": "http://adlnet.gov/expapi/activities/assessment",
    "interaction": "http://adlnet.gov/expapi/activities/cmi.interaction",
}

# --- Identifiers ---------------------------------------------------------------------------------


def activity_iri(*parts: str) -> str:
    return settings.XAPI_ACTIVITY_BASE + "/".join(str(p) for p in parts)


def course_iri(course_slug: str) -> str:
    return activity_iri("courses", course_slug)


def lesson_iri(course_slug: str, lesson_key: str) -> str:
    return activity_iri("courses", course_slug, "lessons", lesson_key)


def quiz_iri(course_slug: str, quiz_key: str) -> str:
    return activity_iri("courses", course_slug, "quizzes", quiz_key)


def question_iri(course_slug: str, quiz_key: str, question_key: str) -> str:
    return activity_iri("courses", course_slug, "quizzes", quiz_key, "questions", question_key)


def extension_iri(name: str) -> str:
    return activity_iri("extensions", name)


def statement_namespace() -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, settings.XAPI_ACTIVITY_BASE)


def statement_id(*identity) -> uuid.UUID:
    """The id of the statement for one event: uuid5(installation namespace, event identity)."""
    return uuid.uuid5(statement_namespace(), ":".join(str(part) for part in identity))


def actor_account_name(user_id: int) -> str:
    """An opaque, stable account name for a user: it says nothing about who they are."""
    digest = hmac.new(settings.XAPI_ACTOR_KEY.encode(), f"user:{user_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def make_actor(user, mode: str = "account", big_number: str = "") -> Agent:
    """The statement's actor in the identification mode an accreditation body asked for.

    Falls back to the opaque account when the learner has no BIG number: the record still counts,
    and the body can match it through the export.
    """
    if mode == "email" and user.email:
        return Agent(object_type="Agent", mbox=f"mailto:{user.email}")
    if mode == "big" and big_number:
        return Agent(
            object_type="Agent",
            account=AgentAccount(home_page=settings.XAPI_BIG_HOME_PAGE, name=big_number),
        )
    return Agent(
        object_type="Agent",
        account=AgentAccount(home_page=settings.SITE_URL, name=actor_account_name(user.pk)),
    )


# --- Pieces --------------------------------------------------------------------------------------


def _utc(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC)


def _verb(name: str) -> Verb:
    iri, dutch, english = VERBS[name]
    return Verb(id=iri, display=LanguageMap({"nl-NL": dutch, "en-US": english}))


def _plain(html: str, limit: int = 250) -> str:
    text = unescape(re.sub(r"<[^>]+>", " ", html or ""))
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit]


def _name(language: str, text: str) -> LanguageMap:
    return LanguageMap({language or "nl": text or "-"})


def _course_activity(course, version) -> Activity:
    return Activity(
        id=course_iri(course.slug),
        definition=ActivityDefinition(
            type=ACTIVITY_TYPES["course"], name=_name(version.language, version.title)
        ),
    )


def _number(value) -> float:
    return float(Decimal(value))


def _context(
    enrollment, course, version, user, parent: Activity | None = None, course_level=False, **extra
):
    """Registration per enrolment, the course as parent and grouping, accreditation extensions.

    Statements about the course itself (`course_level`) carry no parent: the course is their object.
    """
    course_activity = Activity(id=course_iri(course.slug))
    extensions = {
        extension_iri("accreditation-reference"): version.accreditation_reference,
        extension_iri("study-load-hours"): _number(version.study_load_hours),
        extension_iri("course-version"): version.number,
        extension_iri("profession"): user.profession or None,
    }
    extensions.update({extension_iri(k.replace("_", "-")): v for k, v in extra.items()})
    return Context(
        registration=enrollment.registration,
        platform=settings.XAPI_PLATFORM,
        language=version.language or "nl",
        revision=str(version.number),
        context_activities=None
        if course_level
        else ContextActivities(parent=[parent or course_activity], grouping=[course_activity]),
        extensions=Extensions({k: v for k, v in extensions.items() if v not in (None, "")}),
    )


def _actor_identity(actor: Agent) -> str:
    """'' for the opaque account; otherwise what tells this actor's statements apart from it."""
    if actor.mbox:
        return "email"
    if actor.account is not None and actor.account.home_page == settings.XAPI_BIG_HOME_PAGE:
        return "big"
    return ""


def _duration(value: datetime.timedelta) -> str:
    """ISO 8601 duration to 0.01 s, as xAPI 1.0.3 (Data 4.6) asks: PT1H2M3.45S, PT0.01S, PT0S."""
    centiseconds = round(value.total_seconds() * 100)
    hours, rest = divmod(centiseconds, 360000)
    minutes, rest = divmod(rest, 6000)
    seconds, hundredths = divmod(rest, 100)
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or hundredths or text == "PT":
        text += f"{seconds}.{hundredths:02d}S" if hundredths else f"{seconds}S"
    return text


def _statement(sid, actor, verb, obj, context, timestamp, result=None) -> dict:
    # The same event told with a learner's e-mail address or BIG number is a different statement
    # from the anonymous one: it gets its own id, so an LRS holding one never refuses the other.
    identity = _actor_identity(actor)
    if identity:
        sid = uuid.uuid5(statement_namespace(), f"{sid}:{identity}")
    statement = Statement(
        id=sid,
        actor=actor,
        verb=_verb(verb),
        object=obj,
        context=context,
        timestamp=_utc(timestamp),
        result=result,
    )
    payload = statement.as_version(XAPI_VERSION)
    if result is not None and result.duration is not None:
        payload["result"]["duration"] = _duration(result.duration)
    # The LRS sets `version`; a client may leave it out, and some older LRSs refuse it.
    payload.pop("version", None)
    return payload


def _score(raw, maximum, scaled) -> Score:
    return Score(
        raw=round(_number(raw), 4),
        min=0.0,
        max=round(_number(maximum), 4),
        scaled=round(_number(scaled), 4),
    )


# --- Statements per learning event -------------------------------------------------------------


def course_registered(enrollment, actor) -> dict:
    course, version, user = enrollment.course, enrollment.version, enrollment.user
    return _statement(
        statement_id("registered", enrollment.registration),
        actor,
        "registered",
        _course_activity(course, version),
        _context(enrollment, course, version, user, course_level=True),
        enrollment.enrolled_at,
    )


def lesson_launched(enrollment, lesson, progress, actor) -> dict:
    course, version, user = enrollment.course, enrollment.version, enrollment.user
    return _statement(
        statement_id("launched", enrollment.registration, lesson.key),
        actor,
        "launched",
        Activity(
            id=lesson_iri(course.slug, lesson.key),
            definition=ActivityDefinition(
                type=ACTIVITY_TYPES["lesson"], name=_name(version.language, lesson.title)
            ),
        ),
        _context(enrollment, course, version, user),
        progress.started_at,
    )


def lesson_completed(enrollment, lesson, progress, actor) -> dict:
    course, version, user = enrollment.course, enrollment.version, enrollment.user
    return _statement(
        statement_id("completed-lesson", enrollment.registration, lesson.key),
        actor,
        "completed",
        Activity(
            id=lesson_iri(course.slug, lesson.key),
            definition=ActivityDefinition(
                type=ACTIVITY_TYPES["lesson"], name=_name(version.language, lesson.title)
            ),
        ),
        _context(enrollment, course, version, user),
        progress.completed_at,
        Result(completion=True, duration=datetime.timedelta(seconds=progress.seconds_spent)),
    )


def _attempt_identity(enrollment, attempt, quiz, version):
    return (
        enrollment.registration,
        f"v{version.number}",
        quiz.key,
        attempt.phase or "-",
        attempt.number,
    )


def question_answered(enrollment, attempt, quiz, answer, actor) -> dict:
    """One answered question. `answer.question` must be the resolved (polymorphic) question."""
    question = answer.question
    version = quiz.version
    course, user = enrollment.course, enrollment.user
    result = Result(completion=True, response=question.xapi_response(answer.response))
    if question.scored and quiz.is_scored:
        result.score = _score(
            Decimal(question.points) * answer.fraction, question.points, answer.fraction
        )
        result.success = answer.is_correct
    quiz_activity = Activity(id=quiz_iri(course.slug, quiz.key))
    return _statement(
        statement_id(
            "answered", *_attempt_identity(enrollment, attempt, quiz, version), question.key
        ),
        actor,
        "answered",
        Activity(
            id=question_iri(course.slug, quiz.key, question.key),
            definition=ActivityDefinition(
                type=ACTIVITY_TYPES["interaction"],
                name=_name(version.language, _plain(question.prompt)),
                interaction_type=question.xapi_interaction_type,
            ),
        ),
        _context(enrollment, course, version, user, parent=quiz_activity, **_phase(attempt)),
        attempt.submitted_at,
        result,
    )


def _phase(attempt) -> dict:
    return {"quiz_phase": attempt.phase} if attempt.phase else {}


def quiz_result(enrollment, attempt, quiz, answers, actor) -> dict:
    """Passed/failed for a scored quiz or final test; completed for practice and self-assessment."""
    version = quiz.version
    course, user = enrollment.course, enrollment.user
    scored = [a for a in answers if a.question.scored]
    possible = sum((Decimal(a.question.points) for a in scored), Decimal(0))
    earned = sum((Decimal(a.question.points) * a.fraction for a in scored), Decimal(0))
    result = Result(
        completion=True,
        duration=attempt.submitted_at - attempt.started_at if attempt.started_at else None,
    )
    if attempt.passed is None:
        verb = "completed"
    else:
        verb = "passed" if attempt.passed else "failed"
        result.success = attempt.passed
    if possible and attempt.score is not None and quiz.is_scored:
        result.score = _score(earned, possible, attempt.score)
    return _statement(
        statement_id("attempt", *_attempt_identity(enrollment, attempt, quiz, version)),
        actor,
        verb,
        Activity(
            id=quiz_iri(course.slug, quiz.key),
            definition=ActivityDefinition(
                type=ACTIVITY_TYPES["assessment"], name=_name(version.language, quiz.title)
            ),
        ),
        _context(enrollment, course, version, user, quiz_kind=quiz.kind, **_phase(attempt)),
        attempt.submitted_at,
        result,
    )


def course_completed(completion, enrollment, version, duration_seconds: int, actor) -> dict:
    """The accreditation record: course completed, with the final score and total time spent."""
    course, user = enrollment.course, enrollment.user
    result = Result(
        completion=True,
        success=completion.passed,
        duration=datetime.timedelta(seconds=duration_seconds or 0),
    )
    if completion.score is not None:
        result.score = _score(completion.score * 100, 100, completion.score)
    return _statement(
        statement_id("completed-course", enrollment.registration),
        actor,
        "completed",
        _course_activity(course, version),
        _context(enrollment, course, version, user, course_level=True),
        completion.completed_at,
        result,
    )
