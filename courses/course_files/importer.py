"""Importing content files: parse, validate everything, then write all files in one transaction.

Nothing is written unless every file of the call is valid. A course whose slug is new becomes a
Course with version 1; a known slug gets a new draft version (replacing an existing draft) unless
the file's content equals the published version or the draft already, in which case nothing is
written, so `load_seed_content` can run on every `make run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from courses import publishing
from courses.models import (
    Block,
    Course,
    CourseVersion,
    GlossaryTerm,
    LearningTrack,
    Lesson,
    LiveSessionType,
    Module,
    Option,
    Persona,
    Question,
    Quiz,
    ScenarioChoice,
    ScenarioStep,
    TrackCourse,
    TrackLiveSession,
)

from .errors import ContentError, ContentFilesInvalid
from .exporter import media_as_digest, version_to_dict
from .media import MediaError, StagedMedia, stage_media, store_media
from .plan import (
    Context,
    FileReport,
    plan_course,
    plan_glossary,
    plan_personas,
    plan_tracks,
    term_lookup,
)
from .schema import kind_of, schema_errors
from .yaml_lines import YamlSyntaxError, parse_yaml

KIND_ORDER = {"personas": 0, "glossary": 1, "course": 2, "tracks": 3}


@dataclass
class ImportContext:
    """What a block's `create_from_course_file()` reads besides its plan: stored media names by
    reference, personas by slug, the version's quizzes by key; scenarios add themselves to
    `scenarios` (with their planned steps) so that steps and choices are created in bulk."""

    stored: dict[str, str]
    personas: dict
    quizzes: dict
    scenarios: list = field(default_factory=list)


@dataclass
class ContentFile:
    path: Path
    name: str  # as shown in messages
    kind: str = "course"
    data: Any = None
    lines: dict = field(default_factory=dict)
    plan: Any = None
    media: dict[str, StagedMedia] = field(default_factory=dict)  # ref -> staged file


@dataclass
class FileResult:
    """What happened to one file; `summary()` is the line the commands print."""

    file: str
    kind: str
    action: str  # created | draft | published | unchanged | updated
    slug: str = ""
    version: int | None = None
    status: str = ""
    counts: dict = field(default_factory=dict)

    def summary(self) -> str:
        """E.g. `…/sgd-basis.yaml: sgd-basis v2 (gepubliceerd) – gepubliceerd; 4 modules, …`."""
        counts = ", ".join(f"{n} {what}" for what, n in self.counts.items())
        action = _ACTION_LABELS.get(self.action, self.action)
        if self.kind == "course":
            status = CourseVersion.Status(self.status).label if self.status else ""
            version = f"{self.slug} v{self.version} ({status})"
            return f"{self.file}: {version} – {action}; {counts}"
        return f"{self.file}: {KIND_LABELS[self.kind]} – {action}; {counts}"


_ACTION_LABELS = {
    "created": gettext_lazy("nieuw (concept)"),
    "created and published": gettext_lazy("nieuw en gepubliceerd"),
    "draft": gettext_lazy("nieuw concept"),
    "published": gettext_lazy("gepubliceerd"),
    "unchanged": gettext_lazy("ongewijzigd"),
    "updated": gettext_lazy("bijgewerkt"),
}
KIND_LABELS = {
    "course": gettext_lazy("cursus"),
    "personas": gettext_lazy("persona's"),
    "glossary": gettext_lazy("begrippenlijst"),
    "tracks": gettext_lazy("leerlijnen"),
}


# --- Reading and checking ----------------------------------------------------------------------


def collect_files(paths) -> tuple[list[Path], list[ContentError]]:
    """Expand `paths` (files or folders) into YAML files, folders recursively and sorted.

    Statement sets of the conversation tool (docs/conversations.md) found this way are recognised
    by their top-level `statements` key and left out by `check_files`."""
    files, errors = [], []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
            )
        elif path.is_file():
            files.append(path)
        else:
            errors.append(ContentError(str(raw), "", None, _("bestand of map bestaat niet")))
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return unique, errors


def _display_name(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read(path: Path) -> tuple[ContentFile, list[ContentError]]:
    # Until the content says otherwise (it may not parse), guess the kind from the file name.
    guess = {"personas": "personas", "glossary": "glossary", "tracks": "tracks"}.get(
        path.stem, "course"
    )
    item = ContentFile(path=path, name=_display_name(path), kind=guess)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return item, [ContentError(item.name, "", None, _("het bestand is geen UTF-8-tekst"))]
    try:
        item.data, item.lines, duplicates = parse_yaml(text)
    except YamlSyntaxError as exc:
        return item, [ContentError(item.name, "", exc.line, exc.message)]
    report = FileReport(item.name, item.lines)
    for dup_path, line in duplicates:
        report.add(dup_path, _("dit veld staat twee keer in dezelfde mapping"), line=line)
    if not isinstance(item.data, dict):
        report.add(
            (),
            _("het bestand moet een mapping zijn (velden met waarden), geen %(what)s")
            % {"what": type(item.data).__name__ if item.data is not None else _("leeg document")},
        )
        return item, report.errors
    item.kind = kind_of(item.data)
    if item.kind == "statements":
        return item, []
    for path_, message in schema_errors(item.kind, item.data):
        report.add(path_, message)
    return item, report.errors


def _stager(item: ContentFile, report: FileReport):
    def media(value, path, kind):
        try:
            staged = stage_media(item.path.parent, value, kind)
        except MediaError as exc:
            report.add(path, str(exc))
            return None
        item.media[staged.ref] = staged
        return staged.ref

    return media


def check_files(paths) -> list[ContentFile]:
    """Read, schema-check and plan every file of `paths`; return them in import order.

    Raises ContentFilesInvalid listing every problem. Reads the database only to resolve
    references (personas, glossary terms, course slugs); writes nothing.
    """
    files, errors = collect_files(paths)
    explicit = {Path(raw).resolve() for raw in paths if Path(raw).is_file()}
    items, unreadable = [], set()
    for path in files:
        item, file_errors = _read(path)
        if item.kind == "statements":
            # Statement sets of the conversation tool live beside the courses under content/;
            # found in a folder they are left to `import_statements`, named on their own refused.
            if path.resolve() in explicit:
                errors.append(
                    ContentError(
                        _display_name(path),
                        "",
                        None,
                        _("dit is een stellingenset; importeer die met import_statements"),
                    )
                )
            continue
        errors.extend(file_errors)
        if file_errors:
            unreadable.add(item.kind)
        else:
            items.append(item)
    items.sort(key=lambda i: KIND_ORDER[i.kind])

    # A glossary file holds the whole glossary (terms it no longer has are removed on import), so
    # with one in the import, courses may refer only to the terms of the glossary file(s).
    has_glossary = any(item.kind == "glossary" for item in items)
    stored_terms = [] if has_glossary else GlossaryTerm.objects.values_list("term", flat=True)
    ctx = Context(
        personas=set(Persona.objects.values_list("slug", flat=True)),
        terms={term_lookup(t): t for t in stored_terms},
        courses=set(Course.objects.values_list("slug", flat=True)),
    )
    # When a personas, glossary or course file could not be read, references to what it defines
    # are not checked: the import fails anyway, and "does not exist" errors would only be noise.
    if "personas" in unreadable:
        ctx.personas = None
    if "glossary" in unreadable:
        ctx.terms = None
    if "course" in unreadable:
        ctx.courses = None
    course_files: dict[str, str] = {}
    for item in items:
        report = FileReport(item.name, item.lines)
        if item.kind == "personas":
            item.plan = plan_personas(item.data, report, _stager(item, report))
            if ctx.personas is not None:
                ctx.personas.update(p["slug"] for p in item.plan)
        elif item.kind == "glossary":
            item.plan = plan_glossary(item.data, report)
            if ctx.terms is not None:
                ctx.terms.update({term_lookup(t["term"]): t["term"] for t in item.plan})
        elif item.kind == "course":
            slug = item.data["slug"]
            if slug in course_files:
                report.add(
                    ("slug",),
                    _(
                        "de cursus ‘%(slug)s’ staat ook in %(other)s; een cursus mag maar in één "
                        "bestand van een import staan"
                    )
                    % {"slug": slug, "other": course_files[slug]},
                )
            course_files.setdefault(slug, item.name)
            item.plan = plan_course(item.data, report, ctx, _stager(item, report))
            if ctx.courses is not None:
                ctx.courses.add(slug)
        else:
            item.plan = plan_tracks(item.data, report, ctx)
        errors.extend(report.errors)
    if errors:
        raise ContentFilesInvalid(errors)
    return items


# --- Writing -----------------------------------------------------------------------------------


def import_content(paths, publish: bool = False, user=None) -> list[FileResult]:
    """Import the content files at `paths` (files or folders) in one transaction; return results.

    Raises ContentFilesInvalid, having written nothing, when any file is invalid. Writes personas,
    glossary terms, courses (a version per changed course, published when `publish`), tracks and
    copies referenced media into MEDIA storage.
    """
    items = check_files(paths)
    # Media is stored by content before the transaction: a rolled-back import leaves at most an
    # unreferenced copy of a valid file behind, never a row pointing to a missing one.
    for item in items:
        for staged in item.media.values():
            store_media(staged)
    results = []
    # The glossary file(s) of an import are the whole glossary: terms they do not hold go.
    glossary = {row["term"] for item in items if item.kind == "glossary" for row in item.plan}
    with transaction.atomic():
        for item in items:
            if item.kind == "personas":
                results.append(_write_personas(item))
            elif item.kind == "glossary":
                results.append(_write_glossary(item, glossary))
            elif item.kind == "course":
                results.append(_write_course(item, publish=publish, user=user))
            else:
                results.append(_write_tracks(item))
    return results


def _changed(obj, values: dict) -> bool:
    changed = False
    for name, value in values.items():
        current = getattr(obj, name)
        if hasattr(current, "name") and not isinstance(current, str):  # a FieldFile
            current = current.name or ""
        if current != value:
            setattr(obj, name, value)
            changed = True
    return changed


def _write_personas(item: ContentFile) -> FileResult:
    existing = {p.slug: p for p in Persona.objects.filter(slug__in=[p["slug"] for p in item.plan])}
    created = updated = 0
    for row in item.plan:
        values = dict(row)
        values["portrait"] = item.media[row["portrait"]].storage_name if row["portrait"] else ""
        persona = existing.get(row["slug"])
        if persona is None:
            Persona.objects.create(**values)
            created += 1
        elif _changed(persona, values):
            persona.save()
            updated += 1
    return FileResult(
        item.name,
        "personas",
        "updated" if created or updated else "unchanged",
        counts={"nieuw": created, "gewijzigd": updated, "persona's": len(item.plan)},
    )


def _write_glossary(item: ContentFile, glossary: set[str]) -> FileResult:
    """Create and update the file's terms and delete stored terms that no glossary file of the
    import (`glossary`) holds: the files are the glossary. Published versions keep the
    definitions they were approved with (`CourseVersion.glossary`), so nothing they show goes."""
    _rows, deleted = GlossaryTerm.objects.exclude(term__in=glossary).delete()
    removed = deleted.get(GlossaryTerm._meta.label, 0)
    existing = {
        t.term: t for t in GlossaryTerm.objects.filter(term__in=[t["term"] for t in item.plan])
    }
    new = [GlossaryTerm(**row) for row in item.plan if row["term"] not in existing]
    GlossaryTerm.objects.bulk_create(new)
    updated = 0
    for row in item.plan:
        term = existing.get(row["term"])
        if term is not None and _changed(term, row):
            term.save(update_fields=["definition"])
            updated += 1
    return FileResult(
        item.name,
        "glossary",
        "updated" if new or updated or removed else "unchanged",
        counts={
            "nieuw": len(new),
            "gewijzigd": updated,
            "verwijderd": removed,
            "begrippen": len(item.plan),
        },
    )


def _write_tracks(item: ContentFile) -> FileResult:
    slugs = {e["course"] for t in item.plan for e in t["courses"]}
    courses = {c.slug: c for c in Course.objects.filter(slug__in=slugs)}
    created = updated = 0
    for row in item.plan:
        track, was_created = LearningTrack.objects.get_or_create(
            slug=row["slug"], defaults={"title": row["title"], "description": row["description"]}
        )
        changed = not was_created and _changed(
            track, {"title": row["title"], "description": row["description"]}
        )
        if changed:
            track.save()
        current = [
            {"course": e.course.slug, "requires": sorted(c.slug for c in e.prerequisites.all())}
            for e in track.entries.select_related("course")
            .prefetch_related("prerequisites")
            .order_by("position")
        ]
        if current != row["courses"]:
            track.entries.all().delete()
            for position, entry in enumerate(row["courses"]):
                tc = TrackCourse.objects.create(
                    track=track, course=courses[entry["course"]], position=position
                )
                tc.prerequisites.set([courses[s] for s in entry["requires"]])
            changed = True
        changed = _write_track_masterclasses(track, row["masterclasses"], courses) or changed
        created += was_created
        updated += changed and not was_created
    return FileResult(
        item.name,
        "tracks",
        "updated" if created or updated else "unchanged",
        counts={"nieuw": created, "gewijzigd": updated, "leerlijnen": len(item.plan)},
    )


def _write_track_masterclasses(track, masterclasses: list[dict], courses: dict) -> bool:
    """Create or update the track's masterclass types and steps (after its courses); their
    editions are staff data and stay. Returns whether anything changed."""
    changed = False
    for entry in masterclasses:
        session_type, was_created = LiveSessionType.objects.get_or_create(
            slug=entry["slug"],
            defaults={"title": entry["title"], "description": entry["description"]},
        )
        if not was_created and _changed(
            session_type, {"title": entry["title"], "description": entry["description"]}
        ):
            session_type.save()
            changed = True
        changed = changed or was_created
    current = [
        {"slug": e.session_type.slug, "requires": sorted(c.slug for c in e.prerequisites.all())}
        for e in track.live_entries.select_related("session_type")
        .prefetch_related("prerequisites")
        .order_by("position")
    ]
    wanted = [{"slug": e["slug"], "requires": e["requires"]} for e in masterclasses]
    if current != wanted:
        track.live_entries.all().delete()
        types = {
            t.slug: t for t in LiveSessionType.objects.filter(slug__in=[e["slug"] for e in wanted])
        }
        first = track.entries.count()
        for position, entry in enumerate(wanted, start=first):
            step = TrackLiveSession.objects.create(
                track=track, session_type=types[entry["slug"]], position=position
            )
            step.prerequisites.set([courses[s] for s in entry["requires"]])
        changed = True
    return changed


def canonical(plan: dict) -> dict:
    """The part of a course plan that belongs to a version (the glossary belongs to the course)."""
    return {k: v for k, v in plan.items() if k not in ("glossary", "version")}


def version_plan(version: CourseVersion) -> dict:
    """The canonical plan of a stored version, comparable with `canonical(plan of a file)`."""
    data = version_to_dict(version, media_as_digest)
    report = FileReport(f"<{version}>")
    plan = plan_course(data, report, Context(), lambda value, path, kind: value)
    return canonical(plan)


def _publish_imported_version(version: CourseVersion, user=None) -> CourseVersion:
    """Publish `version` through the authoring area's publish rule: the previous published
    version retires, and learners who have not completed move to this one (courses/publishing.py).
    """
    return publishing.swap_published_version(version, user).version


def _counts(plan: dict) -> dict:
    lessons = [lesson for m in plan["modules"] for lesson in m["lessons"]]
    return {
        "modules": len(plan["modules"]),
        "lessen": len(lessons),
        "blokken": sum(len(lesson["blocks"]) for lesson in lessons),
        "quizzen": len(plan["quizzes"]),
        "vragen": sum(len(q["questions"]) for q in plan["quizzes"]),
    }


def _write_course(item: ContentFile, publish: bool, user) -> FileResult:
    plan = item.plan
    wanted = canonical(plan)
    course, created = Course.objects.get_or_create(slug=plan["slug"])
    terms = list(GlossaryTerm.objects.filter(term__in=plan["glossary"]))
    # The glossary links belong to the course, not to a version: kept in step on every import.
    if created or {t.pk for t in terms} != set(course.glossary_terms.values_list("pk", flat=True)):
        course.glossary_terms.set(terms)
    result = FileResult(item.name, "course", "", slug=course.slug, counts=_counts(plan))

    if not created:
        published = course.published_version
        if published is not None:
            published.course = course  # spare version_to_dict a query
        if published is not None and version_plan(published) == wanted:
            result.action, result.version, result.status = (
                "unchanged",
                published.number,
                published.status,
            )
            return result
        draft = (
            course.versions.filter(status=CourseVersion.Status.DRAFT)
            .select_related("course")
            .first()
        )
        if draft is not None and version_plan(draft) == wanted:
            if publish:
                _publish_imported_version(draft, user)
                result.action = "published"
            else:
                result.action = "unchanged"
            result.version, result.status = draft.number, draft.status
            return result
    else:
        draft = None

    version = _replace_draft(course, draft, plan, item)
    result.action = "created" if created else "draft"
    if publish:
        _publish_imported_version(version, user)
        result.action = "published" if not created else "created and published"
    result.version, result.status = version.number, version.status
    return result


_VERSION_FIELDS = (
    "title",
    "summary",
    "description",
    "language",
    "study_load_hours",
    "accreditation_reference",
    "conflict_of_interest",
    "partners",
    "audience",
    "learning_objectives",
    "next_review",
)


def _replace_draft(
    course: Course, draft: CourseVersion | None, plan: dict, item: ContentFile
) -> CourseVersion:
    values = {name: plan[name] for name in _VERSION_FIELDS}
    others = course.versions.exclude(pk=draft.pk) if draft else course.versions.all()
    number = (others.aggregate(n=Max("number"))["n"] or 0) + 1
    if draft is None:
        version = CourseVersion.objects.create(course=course, number=number, **values)
    else:
        # Reuse the draft row (its id may be open in an author's browser); replace its content.
        try:
            Module.objects.filter(version=draft).delete()
            Quiz.objects.filter(version=draft).delete()
        except ProtectedError as exc:
            raise ContentFilesInvalid(
                [
                    ContentError(
                        item.name,
                        "slug",
                        item.lines.get(("slug",)),
                        _(
                            "het concept van ‘%(slug)s’ kan niet vervangen worden: er zijn al "
                            "antwoorden op gegeven"
                        )
                        % {"slug": course.slug},
                    )
                ]
            ) from exc
        for name, value in values.items():
            setattr(draft, name, value)
        draft.number = number
        draft.save()
        version = draft
    _write_content(version, plan, item)
    return version


def _write_content(version: CourseVersion, plan: dict, item: ContentFile) -> None:
    """Create modules, lessons, blocks, quizzes and questions of `plan` under `version`.

    Plain models go in with bulk_create; polymorphic blocks and questions (multi-table
    inheritance, which bulk_create cannot do) are created one by one: two inserts each.
    """
    stored = {ref: staged.storage_name for ref, staged in item.media.items()}
    slugs = {
        b["persona"]
        for m in plan["modules"]
        for lesson in m["lessons"]
        for b in lesson["blocks"]
        if b.get("persona")
    }
    personas = {p.slug: p for p in Persona.objects.filter(slug__in=slugs)} if slugs else {}

    quizzes = Quiz.objects.bulk_create(
        [
            Quiz(
                version=version,
                key=q["key"],
                title=q["title"],
                kind=q["kind"],
                pass_mark=q["pass_mark"],
                max_attempts=q["max_attempts"],
                draw=q["draw"],
                show_correct_after_fail=q["show_correct_after_fail"],
                introduction=q["introduction"],
            )
            for q in plan["quizzes"]
        ]
    )
    quiz_by_key = {q.key: q for q in quizzes}
    modules = Module.objects.bulk_create(
        [
            Module(version=version, key=m["key"], title=m["title"], position=i)
            for i, m in enumerate(plan["modules"])
        ]
    )
    lessons = Lesson.objects.bulk_create(
        [
            Lesson(
                module=module,
                key=lesson["key"],
                title=lesson["title"],
                position=i,
                required=lesson["required"],
                estimated_minutes=lesson["estimated_minutes"],
                sources=lesson["sources"],
                reviewed_on=lesson["reviewed_on"],
            )
            for module, m in zip(modules, plan["modules"], strict=True)
            for i, lesson in enumerate(m["lessons"])
        ]
    )
    plan_lessons = [lesson for m in plan["modules"] for lesson in m["lessons"]]

    ctx = ImportContext(stored=stored, personas=personas, quizzes=quiz_by_key)
    kinds = Block.kinds()
    for lesson, lplan in zip(lessons, plan_lessons, strict=True):
        for position, b in enumerate(lplan["blocks"]):
            common = {"lesson": lesson, "key": b["key"], "position": position}
            kinds[b["type"]].create_from_course_file(common, b, ctx)

    steps = ScenarioStep.objects.bulk_create(
        [
            ScenarioStep(scenario=scenario, key=s["key"], position=i, situation=s["situation"])
            for scenario, splan in ctx.scenarios
            for i, s in enumerate(splan)
        ]
    )
    step_iter = iter(steps)
    choices: list[ScenarioChoice] = []
    for _scenario, splan in ctx.scenarios:
        by_key = {}
        pairs = []
        for s in splan:
            step = next(step_iter)
            by_key[s["key"]] = step
            pairs.append((step, s))
        for step, s in pairs:
            choices.extend(
                ScenarioChoice(
                    step=step,
                    position=i,
                    text=c["text"],
                    feedback=c["feedback"],
                    recommended=c["recommended"],
                    next_step=by_key[c["next"]] if c["next"] else None,
                )
                for i, c in enumerate(s["choices"])
            )
    ScenarioChoice.objects.bulk_create(choices)

    options: list[Option] = []
    for quiz, qplan in zip(quizzes, plan["quizzes"], strict=True):
        for position, q in enumerate(qplan["questions"]):
            cls = Question.kinds()[q["type"]]
            fields = {
                "quiz": quiz,
                "key": q["key"],
                "position": position,
                "prompt": q["prompt"],
                "explanation": q["explanation"],
                "tag": q["tag"],
                "tags": q["tags"],
                "points": q["points"],
            }
            fields.update({name: q[name] for name in cls.own_fields})
            question = cls.objects.create(**fields)
            options.extend(
                Option(
                    question=question,
                    key=o["key"],
                    position=i,
                    text=o["text"],
                    match=o["match"],
                    is_correct=o["correct"],
                    feedback=o["feedback"],
                    pinned=o["pinned"],
                )
                for i, o in enumerate(q.get("options", []))
            )
    Option.objects.bulk_create(options)
