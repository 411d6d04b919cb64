"""Semantic checks and normalisation of schema-valid content files.

`plan_course()` walks a course dict once. It reports what the schema cannot express (unique keys,
references between quizzes, scenario steps, personas and glossary terms, correct answers per
question type, accessibility rules) and returns the *plan*: the same structure with every default
filled in, every absent key derived, HTML sanitised and media replaced by a content reference.
The plan is what the importer writes, and the plan of a file compared with the plan of an
exported version tells whether the file changes anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.text import slugify
from django.utils.translation import gettext as _

from courses.models import Block, Question
from lms.lib.html import sanitise_html

from .errors import ContentError, format_path
from .yaml_lines import line_for


class FileReport:
    """Collects the errors of one file, each with its path and line."""

    def __init__(self, file: str, lines: dict | None = None):
        self.file = file
        self.lines = lines or {}
        self.errors: list[ContentError] = []

    def add(self, path, message: str, line: int | None = None):
        self.errors.append(
            ContentError(self.file, format_path(path), line or line_for(self.lines, path), message)
        )


@dataclass
class Context:
    """What other files and the database provide. `None` means: do not check that reference."""

    personas: set[str] | None = None
    terms: dict[str, str] | None = None  # lookup form -> exact term text
    courses: set[str] | None = None
    extra: dict = field(default_factory=dict)


def term_lookup(term: str) -> str:
    """Courses may name a term by its exact text or by its slug: both map to this lookup form."""
    return slugify(term)


def derived_block_key(block_type: str, number: int) -> str:
    """The key of a block without one: its type and its number among blocks of that type (1-based).

    Deterministic so re-imports are stable; counting per type means inserting a text block does not
    shift the keys of the scenarios and reflections after it.
    """
    return f"{block_type.replace('_', '-')}-{number}"


def _date(value, path, report: FileReport) -> str | None:
    """A `YYYY-MM-DD` text as it stays in the plan, or None; reports dates that do not exist."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        report.add(path, _("‘%(value)s’ is geen bestaande datum (JJJJ-MM-DD)") % {"value": value})
        return None


def _sources(items) -> list[dict]:
    return [
        {
            "title": s["title"],
            "publisher": s["publisher"],
            "year": s.get("year"),
            "url": s.get("url", ""),
        }
        for s in items or []
    ]


def _html(value) -> str:
    return sanitise_html(value or "")


def _unique_keys(report: FileReport, items, path, what: str, keys: list[str]):
    seen: dict[str, int] = {}
    for index, key in enumerate(keys):
        if key in seen:
            report.add(
                path + (index, "key"),
                _("de sleutel ‘%(key)s’ komt twee keer voor in %(what)s (ook bij %(other)s)")
                % {"key": key, "what": what, "other": format_path(path + (seen[key],))},
            )
        else:
            seen[key] = index


MediaFn = Callable[[str, tuple, str], "str | None"]


def plan_course(data: dict, report: FileReport, ctx: Context, media: MediaFn) -> dict:
    """Return the normalised plan of course `data`, reporting problems to `report`."""
    quizzes_data = data.get("quizzes") or []
    quiz_keys = [q["key"] for q in quizzes_data]
    plan = {
        "format": 1,
        "slug": data["slug"],
        "title": data["title"],
        "summary": data.get("summary", ""),
        "description": _html(data.get("description")),
        "language": data.get("language", "nl"),
        "study_load_hours": str(
            Decimal(str(data.get("study_load_hours", 1))).quantize(Decimal("0.01"))
        ),
        "accreditation_reference": data.get("accreditation_reference", ""),
        "conflict_of_interest": data.get("conflict_of_interest", ""),
        "partners": list(data.get("partners") or []),
        "audience": data.get("audience", ""),
        "learning_objectives": list(data.get("learning_objectives") or []),
        "next_review": _date(data.get("next_review"), ("next_review",), report),
        "modules": [],
        "quizzes": [],
    }
    plan["glossary"] = _plan_glossary(data.get("glossary") or [], report, ctx)

    _unique_keys(
        report, data["modules"], ("modules",), _("de modules"), [m["key"] for m in data["modules"]]
    )
    # Lesson keys name a lesson in its URL and in learners' progress: unique in the whole course.
    lesson_seen: dict[str, tuple] = {}
    for mi, module in enumerate(data["modules"]):
        mpath = ("modules", mi)
        mplan = {"key": module["key"], "title": module["title"], "lessons": []}
        for li, lesson in enumerate(module["lessons"]):
            lpath = mpath + ("lessons", li)
            if lesson["key"] in lesson_seen:
                report.add(
                    lpath + ("key",),
                    _(
                        "de lessleutel ‘%(key)s’ komt twee keer voor in de cursus (ook bij "
                        "%(other)s)"
                    )
                    % {"key": lesson["key"], "other": format_path(lesson_seen[lesson["key"]])},
                )
            else:
                lesson_seen[lesson["key"]] = lpath
            mplan["lessons"].append(
                {
                    "key": lesson["key"],
                    "title": lesson["title"],
                    "required": lesson.get("required", True),
                    "estimated_minutes": lesson.get("estimated_minutes", 10),
                    "sources": _sources(lesson.get("sources")),
                    "reviewed_on": _date(
                        lesson.get("reviewed_on"), lpath + ("reviewed_on",), report
                    ),
                    "blocks": _plan_blocks(
                        lesson.get("blocks") or [],
                        lpath + ("blocks",),
                        report,
                        ctx,
                        media,
                        quiz_keys,
                    ),
                }
            )
        plan["modules"].append(mplan)

    _unique_keys(report, quizzes_data, ("quizzes",), _("de quizzen"), quiz_keys)
    kinds_seen: dict[str, int] = {}
    for qi, quiz in enumerate(quizzes_data):
        kind = quiz.get("kind", "practice")
        if kind in ("final", "self_assessment"):
            if kind in kinds_seen:
                report.add(
                    ("quizzes", qi, "kind"),
                    _("een cursus heeft hoogstens één quiz van soort ‘%(kind)s’ (ook %(other)s)")
                    % {"kind": kind, "other": format_path(("quizzes", kinds_seen[kind]))},
                )
            kinds_seen.setdefault(kind, qi)
        plan["quizzes"].append(_plan_quiz(quiz, ("quizzes", qi), report))
    return plan


def _plan_glossary(names, report, ctx):
    resolved = []
    for index, name in enumerate(names):
        if ctx.terms is None:
            resolved.append(name)
            continue
        term = ctx.terms.get(term_lookup(name))
        if term is None:
            report.add(
                ("glossary", index),
                _("het begrip ‘%(term)s’ staat niet in de begrippenlijst") % {"term": name},
            )
        elif term not in resolved:
            resolved.append(term)
    return sorted(resolved)


def _check_persona(slug, path, report, ctx):
    if slug and ctx.personas is not None and slug not in ctx.personas:
        report.add(
            path,
            _("de persona ‘%(slug)s’ bestaat niet (niet in personas.yaml en niet in de database)")
            % {"slug": slug},
        )


def _plan_blocks(blocks, path, report, ctx, media, quiz_keys):
    planned = []
    per_type: dict[str, int] = {}
    explicit = {b["key"] for b in blocks if "key" in b}
    keys_seen: dict[str, int] = {}
    for bi, block in enumerate(blocks):
        bpath = path + (bi,)
        btype = block["type"]
        per_type[btype] = per_type.get(btype, 0) + 1
        key = block.get("key") or derived_block_key(btype, per_type[btype])
        if key in keys_seen:
            report.add(
                bpath + ("key",) if "key" in block else bpath,
                _("de bloksleutel ‘%(key)s’ komt twee keer voor in deze les (ook bij %(other)s)")
                % {"key": key, "other": format_path(path + (keys_seen[key],))}
                + (
                    ""
                    if "key" in block or key not in explicit
                    else _("; geef dit blok een eigen ‘key’")
                ),
            )
        keys_seen.setdefault(key, bi)
        planned.append(
            {
                "type": btype,
                "key": key,
                **_plan_block_fields(block, bpath, report, ctx, media, quiz_keys),
            }
        )
    return planned


@dataclass
class BlockPlanner:
    """What a block kind's `plan_course_file()` uses: the file's report and context, the media
    function, the file's quiz keys and the checks shared between kinds."""

    report: FileReport
    ctx: Context
    media: MediaFn
    quiz_keys: list

    def html(self, value) -> str:
        return _html(value)

    def check_persona(self, slug, path) -> None:
        _check_persona(slug, path, self.report, self.ctx)

    def plan_steps(self, steps, path) -> list[dict]:
        return _plan_steps(steps, path, self.report)


def _plan_block_fields(block, bpath, report, ctx, media, quiz_keys):
    planner = BlockPlanner(report, ctx, media, quiz_keys)
    return Block.kinds()[block["type"]].plan_course_file(block, bpath, planner)


def _plan_steps(steps, path, report):
    keys = [s.get("key") or f"step-{i + 1}" for i, s in enumerate(steps)]
    _unique_keys(report, steps, path, _("de stappen van dit scenario"), keys)
    planned = []
    for si, step in enumerate(steps):
        choices = []
        for ci, choice in enumerate(step["choices"]):
            target = choice.get("next")
            if target is not None and target not in keys:
                report.add(
                    path + (si, "choices", ci, "next"),
                    _(
                        "‘next’ verwijst naar de stap ‘%(key)s’, maar die bestaat niet in dit "
                        "scenario; "
                        "bestaande stappen: %(keys)s"
                    )
                    % {"key": target, "keys": ", ".join(keys)},
                )
            choices.append(
                {
                    "text": choice["text"],
                    "feedback": _html(choice["feedback"]),
                    "recommended": choice.get("recommended", False),
                    "next": target,
                }
            )
        planned.append({"key": keys[si], "situation": _html(step["situation"]), "choices": choices})
    return planned


def _plan_quiz(quiz, qpath, report):
    kind = quiz.get("kind", "practice")
    questions = quiz["questions"]
    keys = [q.get("key") or f"q{i + 1}" for i, q in enumerate(questions)]
    _unique_keys(report, questions, qpath + ("questions",), _("de vragen van deze quiz"), keys)
    planned_questions = []
    for i, question in enumerate(questions):
        path = qpath + ("questions", i)
        qtype = question["type"]
        cls = Question.kinds()[qtype]
        item = {
            "type": qtype,
            "key": keys[i],
            "tag": question.get("tag", "knowledge"),
            "tags": list(question.get("tags") or []),
            "prompt": _html(question["prompt"]),
            "explanation": _html(question.get("explanation")),
            "points": question.get("points", 1),
        }
        for subpath, message in cls.course_file_problems(question, kind):
            report.add(path + subpath, message)
        item.update({name: question.get(name, default) for name, default in cls.own_fields.items()})
        if cls.uses_options:
            okeys = [o.get("key") or f"o{n + 1}" for n, o in enumerate(question["options"])]
            _unique_keys(
                report,
                question["options"],
                path + ("options",),
                _("de opties van deze vraag"),
                okeys,
            )
            item["options"] = [
                {
                    "key": okeys[n],
                    "text": o["text"],
                    "correct": o.get("correct", False),
                    "match": o.get("match", ""),
                    "feedback": _html(o.get("feedback")),
                    "pinned": o.get("pinned", False),
                }
                for n, o in enumerate(question["options"])
            ]
            for subpath, message in cls.pinned_problems(question["options"]):
                report.add(path + subpath, message)
        planned_questions.append(item)
    draw = quiz.get("draw")
    if draw is not None:
        _check_draw(kind, draw, planned_questions, qpath, report)
    return {
        "key": quiz["key"],
        "title": quiz["title"],
        "kind": kind,
        "pass_mark": quiz.get("pass_mark", 70),
        "max_attempts": quiz.get("max_attempts"),
        "draw": draw,
        "show_correct_after_fail": quiz.get("show_correct_after_fail"),
        "introduction": _html(quiz.get("introduction")),
        "questions": planned_questions,
    }


def _check_draw(kind, draw, questions, qpath, report):
    """A pool draws from the quiz's own questions: never more than there are (per tag)."""
    path = qpath + ("draw",)
    if kind not in ("test", "final"):
        report.add(path, _("‘draw’ hoort alleen bij een toets of eindtoets (test, final)"))
        return
    if isinstance(draw, int):
        if draw > len(questions):
            report.add(
                path,
                _("deze quiz trekt %(draw)s vragen, maar heeft er maar %(n)s")
                % {"draw": draw, "n": len(questions)},
            )
        return
    for tag, count in draw.items():
        available = sum(1 for q in questions if tag in q["tags"])
        if available < count:
            report.add(
                path + (tag,),
                _("deze quiz trekt %(draw)s vragen met tag ‘%(tag)s’, maar heeft er maar %(n)s")
                % {"draw": count, "tag": tag, "n": available},
            )
    tagged_twice = [q["key"] for q in questions if len(set(q["tags"]) & set(draw)) > 1]
    if tagged_twice:
        report.add(
            path,
            _(
                "een vraag kan maar uit één getrokken tag komen, maar %(keys)s hebben er meer "
                "dan één"
            )
            % {"keys": ", ".join(tagged_twice)},
        )


def plan_personas(data, report: FileReport, media: MediaFn) -> list[dict]:
    items = data["personas"]
    _unique_keys(report, items, ("personas",), _("de persona's"), [p["slug"] for p in items])
    planned = []
    for i, persona in enumerate(items):
        path = ("personas", i)
        portrait = (
            media(persona["portrait"], path + ("portrait",), "portrait")
            if persona.get("portrait")
            else ""
        )
        if persona.get("portrait") and not (persona.get("portrait_alt") or "").strip():
            report.add(path, _("een portret heeft een alt-tekst (‘portrait_alt’) nodig"))
        planned.append(
            {
                "slug": persona["slug"],
                "name": persona["name"],
                "age": persona.get("age"),
                "pronouns": persona.get("pronouns", ""),
                "bio": _html(persona.get("bio")),
                "portrait": portrait,
                "portrait_alt": persona.get("portrait_alt", ""),
            }
        )
    return planned


def plan_glossary(data, report: FileReport) -> list[dict]:
    items = data["terms"]
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        lookup = term_lookup(item["term"])
        if lookup in seen:
            report.add(
                ("terms", i, "term"),
                _("het begrip ‘%(term)s’ komt twee keer voor (ook bij %(other)s)")
                % {"term": item["term"], "other": format_path(("terms", seen[lookup]))},
            )
        seen.setdefault(lookup, i)
    return [{"term": t["term"], "definition": _html(t["definition"])} for t in items]


def plan_tracks(data, report: FileReport, ctx: Context) -> list[dict]:
    items = data["tracks"]
    _unique_keys(report, items, ("tracks",), _("de leerlijnen"), [t["slug"] for t in items])
    planned = []
    for ti, track in enumerate(items):
        earlier: list[str] = []
        entries = []
        for ci, entry in enumerate(track["courses"]):
            path = ("tracks", ti, "courses", ci)
            slug = entry["course"]
            if ctx.courses is not None and slug not in ctx.courses:
                report.add(
                    path + ("course",),
                    _(
                        "de cursus ‘%(slug)s’ bestaat niet (niet in deze import en niet in de "
                        "database)"
                    )
                    % {"slug": slug},
                )
            if slug in earlier:
                report.add(
                    path + ("course",),
                    _("de cursus ‘%(slug)s’ staat twee keer in deze leerlijn") % {"slug": slug},
                )
            for ri, required in enumerate(entry.get("requires") or []):
                if required == slug:
                    report.add(
                        path + ("requires", ri),
                        _("een cursus kan niet zichzelf als voorwaarde hebben"),
                    )
                elif required not in earlier:
                    report.add(
                        path + ("requires", ri),
                        _("de voorwaarde ‘%(slug)s’ moet eerder in deze leerlijn staan")
                        % {"slug": required},
                    )
            earlier.append(slug)
            entries.append({"course": slug, "requires": sorted(set(entry.get("requires") or []))})
        masterclasses = []
        seen: list[str] = []
        for mi, masterclass in enumerate(track.get("masterclasses") or []):
            path = ("tracks", ti, "masterclasses", mi)
            if masterclass["slug"] in seen:
                report.add(
                    path + ("slug",),
                    _("de masterclass ‘%(slug)s’ staat twee keer in deze leerlijn")
                    % {"slug": masterclass["slug"]},
                )
            seen.append(masterclass["slug"])
            for ri, required in enumerate(masterclass.get("requires") or []):
                if required not in earlier:
                    report.add(
                        path + ("requires", ri),
                        _("de voorwaarde ‘%(slug)s’ moet een cursus van deze leerlijn zijn")
                        % {"slug": required},
                    )
            masterclasses.append(
                {
                    "slug": masterclass["slug"],
                    "title": masterclass["title"],
                    "description": _html(masterclass.get("description")),
                    "requires": sorted(set(masterclass.get("requires") or [])),
                }
            )
        planned.append(
            {
                "slug": track["slug"],
                "title": track["title"],
                "description": _html(track.get("description")),
                "courses": entries,
                "masterclasses": masterclasses,
            }
        )
    return planned
