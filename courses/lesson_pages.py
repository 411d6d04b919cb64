"""The learner's lesson page, assembled from a rendered snapshot of its blocks.

A published (or retired) version's content never changes: authors edit a draft copy. So the
HTML of each block is rendered once per language, together with the lesson's navigation, and
kept in the cache as a *snapshot* (STYLE "Avoid" 3: compute on publish; `warm_snapshots()`
runs after a publish, a cache miss rebuilds). Blocks that can hold learner state (reflection,
scenario, quiz) are stored as an untouched learner sees them. Per request the page then needs
only the learner's own rows: which of those blocks they have touched (one query), and those
blocks alone are rendered live, from the snapshot's pickled copy of them and the learner's rows
for all of them (one more query), with `courses.player` exactly as before.

Forms in the snapshot carry a placeholder instead of a CSRF token; it is replaced with the
request's token when the page is served. Drafts are never cached: an author's unpublished
course renders live every time.

No invalidation: a published or retired version's content never changes (the guard on every
content row, `courses.models.VersionedContent`), and it shows the personas and glossary terms as
they were approved (`CourseVersion.personas`, `CourseVersion.glossary`). So a snapshot is keyed
by (template fingerprint, version, lesson, language) and is never invalidated; the fingerprint of
the templates and code that render blocks means a deploy never serves an old rendering.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import pickle
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import connection
from django.http import Http404, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.html import escape
from django.utils.safestring import mark_safe

from lms.lib.glossary_links import link_terms
from lms.page_shell import split_slots

from .forms import ReflectionForm
from .models import (
    ENROLLMENT_BEHIND_SQL,
    Answer,
    CourseVersion,
    Enrollment,
    GlossaryTerm,
    QuizAttempt,
    QuizBlock,
    ReflectionBlock,
    ScenarioBlock,
)
from .player import (
    LearnerRows,
    apply_learner_rows,
    attach_learner_state,
    bind_practice_form,
    blocks_for_player,
)

# Bump when the shape of a snapshot changes; old ones are then never read.
SNAPSHOT_FORMAT = 3
SNAPSHOT_TIMEOUT = 7 * 24 * 3600  # a bound on memory only: a snapshot never goes stale


@functools.cache
def rendering_fingerprint() -> str:
    """A hash of everything that decides how a block renders: templates and this code.

    Read once per process. Part of every snapshot key, so a deploy never serves old HTML.
    """
    base = Path(settings.BASE_DIR)
    here = Path(__file__).resolve().parent
    digest = hashlib.sha256(f"format {SNAPSHOT_FORMAT}".encode())
    files = sorted((base / "templates" / "courses").rglob("*.html"))
    files += [here / "player.py", here / "lesson_pages.py", here / "forms.py"]
    files += [base / "lms" / "lib" / "glossary_links.py"]
    files += sorted((here / "models").glob("*.py"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def snapshot_key(version_id: int, lesson_key: str, language: str) -> str:
    return f"lesson-page:{rendering_fingerprint()}:{version_id}:{lesson_key}:{language}"


# Each process keeps the snapshots it served last, so a lesson page usually needs no cache round
# trip at all.
LOCAL_SNAPSHOTS = 64
_local_lock = threading.Lock()
_local_snapshots: OrderedDict[str, dict] = OrderedDict()


def forget_local() -> None:
    """Drop this process's snapshots and page shells (the next read asks the cache)."""
    with _local_lock:
        _local_snapshots.clear()
        _shells.clear()
        _live_blocks.clear()


def remember(key: str, snapshot: dict) -> None:
    with _local_lock:
        _local_snapshots[key] = snapshot
        _local_snapshots.move_to_end(key)
        while len(_local_snapshots) > LOCAL_SNAPSHOTS:
            _local_snapshots.popitem(last=False)


# --- Building a snapshot -----------------------------------------------------------------------


def render_block(block, *, course, lesson, csrf_token: str = "", preview: bool = False) -> str:
    """One block's section, as the lesson page shows it (`courses/_block.html`)."""
    if isinstance(block, ReflectionBlock) and getattr(block, "form", None) is None:
        decorated: Any = block  # the player decorates blocks with what their templates read
        decorated.form = ReflectionForm(
            initial={"text": getattr(block, "my_reflection", "")}, prefix=block.key
        )
    return render_to_string(
        "courses/_block.html",
        {
            "block": block,
            "course": course,
            "lesson": lesson,
            "preview": preview,
            "csrf_token": csrf_token,
        },
    )


SLOTS = ("heartbeat", "status", "percent", "done", "blocks")


def build_snapshot(version: CourseVersion, lesson_key: str) -> dict | None:
    """Render a lesson of `version` for a learner who has touched nothing; None if it is missing.

    Returns plain data (no model instances), so it survives pickling across processes and
    schema changes: the lesson, the version's lessons (progress counts required ones), the
    player (`_player.html`) as a list of static parts and slot names, one segment per block
    (`html`, and for stateful blocks `pk`, `kind`, `key`, `quiz_id` and `block`: the block with
    its relations as `blocks_for_player()` loads it, pickled), the "afgerond" status, and the
    CSRF placeholder. Queries: 1 for the lessons plus `blocks_for_player()`'s.
    """
    lessons = list(version.lessons_in_order())
    index = next((i for i, item in enumerate(lessons) if item.key == lesson_key), None)
    if index is None:
        return None
    lesson = lessons[index]
    marker = secrets.token_hex(16)
    placeholder = f"csrf-placeholder-{marker}"
    blocks = blocks_for_player(lesson)
    version.use_approved_personas(blocks)
    # The stateful blocks as loaded, before any learner state: a touched block is rendered
    # from this copy, so serving it needs no content queries.
    loaded = {b.pk: pickle.dumps(b, pickle.HIGHEST_PROTOCOL) for b in blocks if b.learner_state}
    attach_learner_state(blocks)  # the untouched state
    course = version.course
    # Glossary terms of the version (as approved when it was published), linked where they first
    # occur in the lesson's static blocks (stateful blocks are re-rendered live for a learner who
    # touched them, so they stay plain). The link opens this version's glossary.
    terms = {t.term: t for t in version.glossary_terms()}
    glossary_url = reverse("courses:glossary")
    glossary_url += f"?cursus={course.slug}&amp;versie={version.number}"
    linked: list[GlossaryTerm] = []

    def term_link(term: GlossaryTerm, text: str) -> str:
        return (
            f'<a class="term" href="{glossary_url}#begrip-{term.pk}" '
            f'data-term="term-{term.pk}">{text}</a>'
        )

    segments = []
    for block in blocks:
        html = render_block(block, course=course, lesson=lesson, csrf_token=placeholder)
        if not block.learner_state:
            html = link_terms(html, terms, term_link, linked)
        segment: dict[str, Any] = {"html": html}
        if block.learner_state:
            segment.update(pk=block.pk, kind=block.kind, key=block.key, block=loaded[block.pk])
            if isinstance(block, QuizBlock):
                segment["quiz_id"] = block.quiz_id
                segment["practice"] = block.quiz.kind == block.quiz.Kind.PRACTICE
        segments.append(segment)
    slot_markers = {name: f"slot-{marker}-{name}" for name in SLOTS}
    player = render_to_string(
        "courses/_player.html",
        {
            "lesson": lesson,
            "course_slug": course.slug,
            "course_url": course.get_absolute_url(),
            "version_title": version.title,
            "lesson_number": index + 1,
            "lesson_count": len(lessons),
            "lessons": lessons,
            "glossary_terms": linked,
            "previous_lesson": lessons[index - 1] if index > 0 else None,
            "next_lesson": lessons[index + 1] if index + 1 < len(lessons) else None,
            "required_count": sum(1 for item in lessons if item.required),
            "slots": slot_markers,
            "csrf_token": placeholder,
        },
    )
    return {
        "course_slug": course.slug,
        "title": f"{lesson.title} – {version.title}",
        "lesson": {"pk": lesson.pk, "key": lesson.key},
        "required_keys": [item.key for item in lessons if item.required],
        "player": split_slots(player, slot_markers),
        "segments": segments,
        "done_html": render_to_string("courses/_lesson_done.html").strip(),
        "csrf_placeholder": placeholder,
        "personas": version.personas,
    }


def is_immutable(version: CourseVersion) -> bool:
    return version.status != CourseVersion.Status.DRAFT


def get_snapshot(version_id: int, lesson_key: str) -> dict:
    """The snapshot of the lesson, from this process, the cache, or freshly built; Http404 if none.

    Only immutable versions are ever kept, so a hit needs no look at the version; a miss loads
    it. Cache round trips: none when this process has the snapshot.
    """
    key = snapshot_key(version_id, lesson_key, translation.get_language())
    snapshot = _local_snapshots.get(key)
    if snapshot is not None:
        return snapshot
    snapshot = cache.get(key)
    if snapshot is None:
        version = CourseVersion.objects.select_related("course").get(pk=version_id)
        snapshot = build_snapshot(version, lesson_key)
        if snapshot is None:
            raise Http404
        if not is_immutable(version):
            return snapshot
        cache.set(key, snapshot, SNAPSHOT_TIMEOUT)
    remember(key, snapshot)
    return snapshot


def warm_snapshots(version_id: int) -> int:
    """Build and cache the snapshots of every lesson of a published version in every language.

    Called after a publish so the first learners do not wait for the rendering. Returns the
    number of snapshots written.
    """
    version = CourseVersion.objects.select_related("course").filter(pk=version_id).first()
    if version is None or not is_immutable(version):
        return 0
    written = 0
    keys = list(version.lessons_in_order().values_list("key", flat=True))
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for lesson_key in keys:
                snapshot = build_snapshot(version, lesson_key)
                if snapshot is not None:
                    cache.set(snapshot_key(version.pk, lesson_key, language), snapshot)
                    written += 1
    return written


# --- Serving a page -----------------------------------------------------------------------------


@dataclass
class LessonPage:
    """The learner's lesson page as `courses/lesson.html` shows it: built by `lesson_page()`."""

    title: str
    player_html: str
    csrf_token: str

    def context(self) -> dict:
        return {
            "page_title": self.title,
            "player_html": self.player_html,
            # The page's forms share one masked token (masking draws 32 random characters).
            "csrf_token": self.csrf_token,
        }


# Everything of the learner's own that a lesson page shows, in one statement: the enrolment,
# its lesson progress, and which blocks they have state in (reflections are the user's, across
# courses; decisions and submitted attempts are the enrolment's). Rows: (kind, id, version_id,
# lesson key, timestamp), unused columns NULL.
LEARNER_STATE_SQL = """
WITH e AS (
    SELECT enrollment.id, enrollment.course_id, enrollment.version_id,
           enrollment.last_lesson_key, enrollment.last_activity_at,
           {ENROLLMENT_BEHIND_SQL} AS behind
    FROM courses_enrollment enrollment
    JOIN courses_course course ON course.id = enrollment.course_id
    WHERE enrollment.user_id = %s AND course.slug = %s
)
SELECT 'enrollment', e.id, e.version_id, e.last_lesson_key, e.last_activity_at, e.course_id,
       e.behind
FROM e
UNION ALL
SELECT 'progress', NULL, NULL, progress.lesson_key, progress.completed_at, NULL, NULL
FROM courses_lessonprogress progress JOIN e ON progress.enrollment_id = e.id
UNION ALL
SELECT 'reflection', reflection.block_id, NULL, NULL, NULL, NULL, NULL
FROM courses_reflection reflection WHERE reflection.user_id = %s
UNION ALL
SELECT 'scenario', step.scenario_id, NULL, NULL, NULL, NULL, NULL
FROM courses_scenariodecision decision
JOIN e ON decision.enrollment_id = e.id
JOIN courses_scenariochoice choice ON choice.id = decision.choice_id
JOIN courses_scenariostep step ON step.id = choice.step_id
UNION ALL
SELECT 'quiz', attempt.quiz_id, NULL, NULL, NULL, NULL, NULL
FROM courses_quizattempt attempt JOIN e ON attempt.enrollment_id = e.id
WHERE attempt.submitted_at IS NOT NULL
""".replace("{ENROLLMENT_BEHIND_SQL}", ENROLLMENT_BEHIND_SQL)


@dataclass
class LearnerState:
    """The learner's own rows for a lesson page (`learner_state()`)."""

    enrollment: Any
    progress: dict  # lesson key -> completed (bool)
    touched: set  # ("reflection" | "scenario" | "quiz", block pk or quiz id)


def learner_state(user, slug: str) -> LearnerState | None:
    """The learner's enrolment in course `slug` with their progress and touched blocks; None
    when they are not enrolled. One query.

    Hand-written SQL because this runs on every lesson page view and the ORM's compile time
    for the equivalent querysets is several times the queries themselves. The enrolment comes
    back as a model instance holding only the fields read here (the rest load on access); the
    tests compare pages built from it with pages rendered entirely through the ORM.
    """
    with connection.cursor() as cursor:
        cursor.execute(LEARNER_STATE_SQL, [user.pk, slug, user.pk])
        rows = cursor.fetchall()
    enrollment = None
    progress: dict[str, bool] = {}
    touched: set[tuple[str, int]] = set()
    for kind, pk, version_id, key, moment, course_id, behind in rows:
        if kind == "enrollment":
            enrollment = Enrollment.from_db(
                connection.alias,
                ["id", "user_id", "course_id", "version_id", "last_lesson_key", "last_activity_at"],
                [pk, user.pk, course_id, version_id, key, db_datetime(moment)],
            )
            enrollment.user = user
            if behind:
                # Publishing's sweep has not reached this unfinished enrolment yet: it moves
                # now, and its rows are read again (its reflections now point at new blocks).
                from .publishing import keep_on_published_version  # publishing imports us

                enrollment.completed_at = None
                keep_on_published_version(enrollment)
                return learner_state(user, slug)
        elif kind == "progress":
            progress[key] = moment is not None
        else:
            touched.add((kind, pk))
    if enrollment is None:
        return None
    return LearnerState(enrollment, progress, touched)


def db_datetime(value):
    """A timestamp from a raw row, made aware: SQLite hands back text or naive UTC datetimes
    (PostgreSQL aware ones)."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and settings.USE_TZ and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def touched_blocks(snapshot: dict, touched: set) -> set[int]:
    """Pks of the snapshot's stateful blocks that appear in the learner's `touched` rows."""
    return {
        segment["pk"]
        for segment in snapshot["segments"]
        if segment.get("kind")
        and (
            segment["kind"],
            segment["quiz_id"] if segment["kind"] == QuizBlock.kind else segment["pk"],
        )
        in touched
    }


def lesson_page(
    request, state: LearnerState, snapshot: dict, forms_by_block: dict | None = None
) -> LessonPage:
    """Assemble the learner's lesson page from the snapshot and their own rows (`state`).

    `forms_by_block` (block pk → bound form with errors) re-renders those blocks with the
    learner's input. Queries: none, unless some block is touched or has a form; then one
    (`lesson_rows()`) for all of them.
    """
    forms_by_block = forms_by_block or {}
    enrollment, progress = state.enrollment, state.progress
    live_pks = touched_blocks(snapshot, state.touched) | set(forms_by_block)
    lesson = snapshot["lesson"]
    placeholder = snapshot["csrf_placeholder"]
    token = get_token(request)
    live_html: dict[int, str] = {}
    if live_pks:
        live_html = render_live_blocks(
            request, enrollment, snapshot, live_pks, forms_by_block, token
        )
    blocks = "".join(
        live_html.get(segment.get("pk")) or segment["html"] for segment in snapshot["segments"]
    )
    required = snapshot["required_keys"]
    done = sum(1 for key in required if progress.get(key))
    slots = {
        # How often player.js reports time; tests shorten it. Gaps above the service's
        # HEARTBEAT_MAX_GAP_SECONDS are not counted, so this must stay well below that.
        "heartbeat": str(settings.PLAYER_HEARTBEAT_SECONDS),
        "status": snapshot["done_html"] if progress.get(lesson["key"]) else "",
        "percent": str(round(100 * done / len(required)) if required else 100),
        "done": str(done),
        "blocks": blocks,
    }
    player = "".join(
        slots[value] if kind == "slot" else value for kind, value in snapshot["player"]
    )
    return LessonPage(
        title=snapshot["title"],
        # The placeholder only ever stands where a token goes; live blocks carry the real one.
        player_html=mark_safe(player.replace(placeholder, token)),  # noqa: S308
        csrf_token=token,
    )


# Touched blocks as this process last rendered them, by (snapshot, block, digest of the learner's
# rows behind it): a learner who comes back to a lesson with nothing changed in a block gets the
# same HTML without rendering it again. Process memory only (reflections never leave).
LOCAL_LIVE_BLOCKS = 1024
_live_blocks: OrderedDict[str, str] = OrderedDict()


def render_live_blocks(request, enrollment, snapshot, pks, forms_by_block, token) -> dict:
    """Render the blocks `pks` with the learner's state (and any bound form); returns their HTML
    by block pk. The learner's rows for all of them come from one statement (`lesson_rows()`);
    a block is rendered from the snapshot's pickled copy, unless this process rendered it with
    the same rows before."""
    segments = [segment for segment in snapshot["segments"] if segment.get("pk") in pks]
    rows = lesson_rows(enrollment, request.user, segments)
    placeholder = snapshot["csrf_placeholder"]  # unique to this snapshot's rendering
    html = {}
    blocks = []
    keys = {}
    for segment in segments:
        pk = segment["pk"]
        if pk not in forms_by_block:
            keys[pk] = f"{placeholder}:{pk}:{rows.digest(segment)}"
            found = _live_blocks.get(keys[pk])
            if found is not None:
                html[pk] = found
                continue
        blocks.append(pickle.loads(segment["block"]))  # noqa: S301 (our own snapshot)
    apply_learner_rows(blocks, rows)
    lesson = snapshot["lesson"]  # block templates read only its key
    for block in blocks:
        form = forms_by_block.get(block.pk)
        if isinstance(block, QuizBlock) and form is not None:
            bind_practice_form(block, form)
        elif form is not None:
            block.form = form  # else render_block gives a reflection its saved text
        html[block.pk] = render_block(
            block, course={"slug": snapshot["course_slug"]}, lesson=lesson, csrf_token=placeholder
        )
        if block.pk in keys:
            with _local_lock:
                _live_blocks[keys[block.pk]] = html[block.pk]
                while len(_live_blocks) > LOCAL_LIVE_BLOCKS:
                    _live_blocks.popitem(last=False)
    return html


@dataclass
class LessonRows(LearnerRows):
    """`LearnerRows` read from one statement, with a digest of what each block shows."""

    def digest(self, segment: dict) -> str:
        """A hash of the rows behind one stateful block of the snapshot: the same rows, the
        same rendering."""
        if segment["kind"] == ReflectionBlock.kind:
            state: Any = self.reflections.get(segment["pk"])
        elif segment["kind"] == ScenarioBlock.kind:
            state = self.decisions.get(segment["pk"])
        else:
            attempts = self.attempts.get(segment["quiz_id"], [])
            state = [(a.pk, a.number, a.submitted_at, a.score, a.passed) for a in attempts]
            if attempts:
                answers = self.answers.get(attempts[0].pk, [])
                state.append([(a.pk, a.question_id, a.response, a.fraction) for a in answers])
        return hashlib.sha256(repr(state).encode()).hexdigest()


# The learner's rows behind a lesson's touched blocks, in one statement: reflection texts, scenario
# decisions, submitted attempts, and the answers of each practice quiz's latest submitted attempt.
# Columns: (kind, block/scenario/quiz id, id, number, text, timestamp, score, passed).
LESSON_ROWS_SQL = """
SELECT 'reflection', reflection.block_id, NULL, NULL, reflection.text, NULL,
       CAST(NULL AS NUMERIC), CAST(NULL AS BOOLEAN)
FROM courses_reflection reflection
WHERE reflection.user_id = %s AND reflection.block_id IN ({reflections})
UNION ALL
SELECT 'decision', step.scenario_id, decision.choice_id, decision.id, NULL, decision.decided_at,
       NULL, NULL
FROM courses_scenariodecision decision
JOIN courses_scenariochoice choice ON choice.id = decision.choice_id
JOIN courses_scenariostep step ON step.id = choice.step_id
WHERE decision.enrollment_id = %s AND step.scenario_id IN ({scenarios})
UNION ALL
SELECT 'attempt', attempt.quiz_id, attempt.id, attempt.number, NULL, attempt.submitted_at,
       attempt.score, attempt.passed
FROM courses_quizattempt attempt
WHERE attempt.enrollment_id = %s AND attempt.quiz_id IN ({quizzes})
  AND attempt.submitted_at IS NOT NULL
UNION ALL
SELECT 'answer', answer.attempt_id, answer.id, answer.question_id, CAST(answer.response AS TEXT),
       NULL, answer.fraction, NULL
FROM courses_answer answer
WHERE answer.attempt_id IN (
    SELECT (SELECT latest.id FROM courses_quizattempt latest
            WHERE latest.enrollment_id = %s AND latest.quiz_id = quiz.id
              AND latest.submitted_at IS NOT NULL
            ORDER BY latest.submitted_at DESC, latest.id DESC LIMIT 1)
    FROM courses_quiz quiz WHERE quiz.id IN ({practice})
)
"""


def lesson_rows(enrollment, user, segments: list[dict]) -> LessonRows:
    """The learner's rows behind the stateful blocks of snapshot `segments`, as
    `player.attach_learner_state()` would read them with one query per kind: here one statement.
    """

    def ids(kind, field="pk", practice=None):
        found = [
            s[field]
            for s in segments
            if s["kind"] == kind and (practice is None or s.get("practice") == practice)
        ]
        return found or [0]

    reflections = ids(ReflectionBlock.kind)
    scenarios = ids(ScenarioBlock.kind)
    quizzes = ids(QuizBlock.kind, "quiz_id")
    practice = ids(QuizBlock.kind, "quiz_id", practice=True)

    def marks(ids):
        return ", ".join(["%s"] * len(ids))

    sql = LESSON_ROWS_SQL.format(
        reflections=marks(reflections),
        scenarios=marks(scenarios),
        quizzes=marks(quizzes),
        practice=marks(practice),
    )
    params = [user.pk, *reflections, enrollment.pk, *scenarios, enrollment.pk, *quizzes]
    params += [enrollment.pk, *practice]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        result = cursor.fetchall()
    rows = LessonRows()
    decisions = []
    attempts = []
    score = QuizAttempt._meta.get_field("score")
    fraction = Answer._meta.get_field("fraction")
    for kind, owner, pk, number, text, moment, value, passed in result:
        if kind == "reflection":
            rows.reflections[owner] = text
        elif kind == "decision":
            decisions.append((db_datetime(moment), number, owner, pk))
        elif kind == "attempt":
            attempt = QuizAttempt.from_db(
                connection.alias,
                ["id", "enrollment_id", "quiz_id", "number", "submitted_at", "score", "passed"],
                [
                    pk,
                    enrollment.pk,
                    owner,
                    number,
                    db_datetime(moment),
                    score.to_python(value),
                    None if passed is None else bool(passed),
                ],
            )
            attempts.append(attempt)
        else:
            answer = Answer.from_db(
                connection.alias,
                ["id", "attempt_id", "question_id", "response", "fraction"],
                [pk, owner, number, json.loads(text), fraction.to_python(value)],
            )
            rows.answers.setdefault(owner, []).append(answer)
    for _moment, _pk, scenario_id, choice_id in sorted(decisions):
        rows.decisions.setdefault(scenario_id, []).append(choice_id)
    attempts.sort(key=lambda a: (a.submitted_at, a.pk), reverse=True)
    for attempt in attempts:
        rows.attempts.setdefault(attempt.quiz_id, []).append(attempt)
    for answers in rows.answers.values():
        answers.sort(key=lambda a: a.pk)
    return rows


# --- The page around the player ----------------------------------------------------------------

SHELL_SLOTS = ("title", "csrf", "path", "player")
_shells: dict[tuple[str, bool], list[tuple[str, str]]] = {}


@dataclass(frozen=True)
class _ShellUser:
    """What base.html reads of the user: a logged-in learner, staff or not."""

    is_staff: bool
    is_authenticated: bool = True


@dataclass(frozen=True)
class _ShellRequest:
    path_marker: str

    def get_full_path(self) -> str:
        return self.path_marker


def render_page(request, page: LessonPage, status: int = 200) -> HttpResponse:
    """`courses/lesson.html` for `page`: from this process's pre-rendered page shell.

    Around the player, the page differs between requests only in its title, CSRF token,
    path (the language form returns to it), the staff link and the language; the shell is
    rendered once per language and staff flag with markers in those places (base.html holds
    a dozen URL, translation and language tags). A page with flash messages to show renders
    the template normally.
    """
    if len(messages.get_messages(request)):
        return render(request, "courses/lesson.html", page.context(), status=status)
    key = (translation.get_language(), bool(request.user.is_staff))
    shell = _shells.get(key)
    if shell is None:
        markers = {name: f"slot-{secrets.token_hex(16)}-{name}" for name in SHELL_SLOTS}
        html = render_to_string(
            "courses/lesson.html",
            {
                "page_title": markers["title"],
                "player_html": markers["player"],
                "csrf_token": markers["csrf"],
                "user": _ShellUser(is_staff=key[1]),
                "request": _ShellRequest(markers["path"]),
                "messages": [],
                # What accounts.context_processors.idle_timeout adds to every other page.
                "idle_timeout_seconds": settings.SESSION_IDLE_TIMEOUT_SECONDS,
            },
        )
        shell = _shells[key] = split_slots(html, markers)
    slots = {
        "title": escape(page.title),
        "csrf": page.csrf_token,
        "path": escape(request.get_full_path()),
        "player": page.player_html,
    }
    return HttpResponse(
        "".join(slots[part] if kind == "slot" else part for kind, part in shell), status=status
    )
