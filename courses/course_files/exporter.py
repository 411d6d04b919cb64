"""Writing a CourseVersion back as a course file in the same format the importer reads."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db.models import Prefetch

from courses.models import (
    Block,
    CourseVersion,
    Lesson,
    Module,
    Option,
    Persona,
    Question,
    ScenarioChoice,
    ScenarioStep,
)

from .media import digest_ref, export_name, stored_digest


@dataclass
class ExportContext:
    """What a block's `course_file_fields()` reads besides the block: the media writer and the
    keys of the rows it refers to, all loaded once for the whole version."""

    media: Any
    personas: dict[int, str]
    quiz_keys: dict[int, str]
    steps_by_scenario: dict[int, list]
    choices_by_step: dict[int, list]
    step_keys: dict[int, str]


def _block_fields(block, ctx: ExportContext) -> dict:
    return {"type": block.kind, "key": block.key, **block.course_file_fields(ctx)}


def _question(question, options) -> dict:
    data = {
        "type": question.kind,
        "key": question.key,
        "tag": question.tag,
        "prompt": question.prompt,
        "explanation": question.explanation,
        "points": question.points,
    }
    if question.tags:
        data["tags"] = list(question.tags)
    for name in question.own_fields:
        value = getattr(question, name)
        data[name] = value if isinstance(value, int) else str(value)
    if question.uses_options:
        data["options"] = [question.course_file_option(o) for o in options]
    return data


def version_to_dict(version: CourseVersion, media) -> dict:
    """Return `version` as a course-file dict; `media(field_file, kind)` gives a file field's value.

    Reads the whole version in a fixed number of queries (one per table, one per block and
    question type).
    """
    course = version.course
    modules = list(
        Module.objects.filter(version=version)
        .order_by("position")
        .prefetch_related(Prefetch("lessons", queryset=Lesson.objects.order_by("position")))
    )
    blocks_by_lesson: dict[int, list] = {}
    for block in Block.objects.filter(lesson__module__version=version).order_by(
        "lesson_id", "position"
    ):
        blocks_by_lesson.setdefault(block.lesson_id, []).append(block)
    steps_by_scenario: dict[int, list] = {}
    step_keys = {}
    for step in ScenarioStep.objects.filter(scenario__lesson__module__version=version).order_by(
        "scenario_id", "position", "pk"
    ):
        steps_by_scenario.setdefault(step.scenario_id, []).append(step)
        step_keys[step.pk] = step.key
    choices_by_step: dict[int, list] = {}
    for choice in ScenarioChoice.objects.filter(
        step__scenario__lesson__module__version=version
    ).order_by("step_id", "position", "pk"):
        choices_by_step.setdefault(choice.step_id, []).append(choice)
    persona_ids = {
        b.persona_id
        for bs in blocks_by_lesson.values()
        for b in bs
        if getattr(b, "persona_id", None)
    }
    personas = (
        dict(Persona.objects.filter(pk__in=persona_ids).values_list("pk", "slug"))
        if persona_ids
        else {}
    )
    quizzes = list(version.quizzes.order_by("pk"))
    quiz_keys = {q.pk: q.key for q in quizzes}
    questions_by_quiz: dict[int, list] = {}
    for question in Question.objects.filter(quiz__version=version).order_by("quiz_id", "position"):
        questions_by_quiz.setdefault(question.quiz_id, []).append(question)
    options_by_question: dict[int, list] = {}
    for option in Option.objects.filter(question__quiz__version=version).order_by(
        "question_id", "position", "pk"
    ):
        options_by_question.setdefault(option.question_id, []).append(option)
    ctx = ExportContext(media, personas, quiz_keys, steps_by_scenario, choices_by_step, step_keys)

    data = {
        "format": 1,
        "slug": course.slug,
        "version": version.number,
        "title": version.title,
        "summary": version.summary,
        "description": version.description,
        "language": version.language,
        "study_load_hours": float(version.study_load_hours)
        if version.study_load_hours != int(version.study_load_hours)
        else int(version.study_load_hours),
        "accreditation_reference": version.accreditation_reference,
        "conflict_of_interest": version.conflict_of_interest,
        "partners": list(version.partners or []),
        "audience": version.audience,
        "learning_objectives": list(version.learning_objectives or []),
        "next_review": _iso(version.next_review),
        "glossary": sorted(course.glossary_terms.values_list("term", flat=True)),
        "modules": [
            {
                "key": module.key,
                "title": module.title,
                "lessons": [
                    {
                        "key": lesson.key,
                        "title": lesson.title,
                        "required": lesson.required,
                        "estimated_minutes": lesson.estimated_minutes,
                        "sources": [dict(s) for s in lesson.sources or []],
                        "reviewed_on": _iso(lesson.reviewed_on),
                        "blocks": [
                            _block_fields(b, ctx) for b in blocks_by_lesson.get(lesson.pk, [])
                        ],
                    }
                    for lesson in module.lessons.all()
                ],
            }
            for module in modules
        ],
        "quizzes": [
            {
                "key": quiz.key,
                "title": quiz.title,
                "kind": quiz.kind,
                "pass_mark": quiz.pass_mark,
                "max_attempts": quiz.max_attempts,
                "draw": quiz.draw,
                "show_correct_after_fail": quiz.show_correct_after_fail,
                "introduction": quiz.introduction,
                "questions": [
                    _question(q, options_by_question.get(q.pk, []))
                    for q in questions_by_quiz.get(quiz.pk, [])
                ],
            }
            for quiz in quizzes
        ],
    }
    return data


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def media_as_digest(field_file, kind) -> str:
    """A `media` function for `version_to_dict` that names files by content (for comparing)."""
    return digest_ref(stored_digest(field_file))


class _MediaCopier:
    """A `media` function that copies each stored file next to the exported course file."""

    def __init__(self, target_dir: Path, subdir: str):
        self.target_dir = target_dir
        self.subdir = subdir
        self.written: dict[str, str] = {}  # stored name -> relative path

    def __call__(self, field_file, kind) -> str:
        if field_file.name in self.written:
            return self.written[field_file.name]
        name = export_name(field_file)
        relative = f"{self.subdir}/{name}"
        n = 1
        while relative in self.written.values():
            n += 1
            stem, dot, ext = name.rpartition(".")
            relative = f"{self.subdir}/{stem}-{n}{dot}{ext}" if dot else f"{self.subdir}/{name}-{n}"
        destination = self.target_dir / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        with (
            field_file.storage.open(field_file.name, "rb") as source,
            destination.open("wb") as out,
        ):
            shutil.copyfileobj(source, out)
        self.written[field_file.name] = relative
        return relative


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # Indent list items under their key, as the examples in docs/course-format.md do.
        return super().increase_indent(flow, False)


def _str_representer(dumper, value):
    # Multi-line text (HTML mostly) as a literal block: readable and reviewable in a diff.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str_representer)


def _prune(value):
    """Leave out empty optional values ('' and null): the importer fills in the same defaults."""
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v != "" and v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def dump_yaml(data) -> str:
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=False,
    )


def export_version(version: CourseVersion, path: Path) -> Path:
    """Write `version` as a YAML course file: `path` itself when it ends in .yaml/.yml, else
    `<path>/<slug>.yaml`.

    Media files are copied to `media/<slug>/` next to the course file. Returns the file written.
    """
    path = Path(path)
    if path.is_dir() or path.suffix.lower() not in (".yaml", ".yml"):
        path = path / f"{version.course.slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    data = version_to_dict(version, _MediaCopier(path.parent, f"media/{version.course.slug}"))
    header = (
        f"# Exported from Spreekkamer: {version.course.slug}, "
        f"version {version.number} ({version.status}).\n"
    )
    path.write_text(header + dump_yaml(_prune(data)), encoding="utf-8")
    return path
