"""Statement-set files (`content/statements/*.yaml`): validate, import and export.

The same habits as course files (`docs/course-format.md`): a JSON Schema
(`conversations/schemas/statement-set.schema.json`), errors as `file:line: path: message`, and
nothing written when any file is invalid. Export writes what import reads, so a file survives an
import–export round trip unchanged.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from courses.course_files.errors import ContentError, ContentFilesInvalid, format_path
from courses.course_files.exporter import dump_yaml
from courses.course_files.schema import describe_error
from courses.course_files.yaml_lines import YamlSyntaxError, line_for, parse_yaml

from .models import Statement, StatementSet

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "statement-set.schema.json"


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_text(text: str, name: str) -> tuple[dict | None, list[ContentError]]:
    """Parse and check one file; returns (data, errors). `data` is None when it cannot be read."""
    try:
        data, lines, duplicates = parse_yaml(text)
    except YamlSyntaxError as exc:
        return None, [ContentError(name, "", exc.line, exc.message)]
    errors = [
        ContentError(name, format_path(path), line, _("veld komt twee keer voor"))
        for path, line in duplicates
    ]
    if not isinstance(data, dict):
        return None, [ContentError(name, "", None, _("een stellingenset is een mapping"))]
    for error in _validator().iter_errors(data):
        for path, message in describe_error(error):
            errors.append(ContentError(name, format_path(path), line_for(lines, path), message))
    seen: set[str] = set()
    for i, item in enumerate(data.get("statements") or []):
        key = item.get("key") if isinstance(item, dict) else None
        if key in seen:
            path = ("statements", i, "key")
            errors.append(
                ContentError(
                    name,
                    format_path(path),
                    line_for(lines, path),
                    _("sleutel ‘%(key)s’ komt twee keer voor") % {"key": key},
                )
            )
        if isinstance(key, str):
            seen.add(key)
    return data, errors


def validate_files(paths) -> list[tuple[Path, dict]]:
    """Read and check every file; returns (path, data) pairs or raises ContentFilesInvalid."""
    parsed, errors = [], []
    for path in paths:
        path = Path(path)
        data, found = validate_text(path.read_text(encoding="utf-8"), str(path))
        errors.extend(found)
        if data is not None:
            parsed.append((path, data))
    if errors:
        raise ContentFilesInvalid(errors)
    return parsed


@transaction.atomic
def import_set(data: dict) -> StatementSet:
    """Create or replace the statement set `data["slug"]`; returns it. Statements already put to
    a group in a live session keep their rows (matched by key), so counts are not lost."""
    statement_set, _created = StatementSet.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "title": data["title"],
            "description": data.get("description", ""),
            "audience": data.get("audience", ""),
        },
    )
    keys = [item["key"] for item in data["statements"]]
    statement_set.statements.exclude(key__in=keys).delete()
    existing = {s.key: s for s in statement_set.statements.all()}
    # Move positions out of the way first: (set, position) is unique.
    statement_set.statements.update(position=F("position") + 100_000)
    for position, item in enumerate(data["statements"], start=1):
        fields = {
            "position": position,
            "kind": item["type"],
            "theme": item["theme"],
            "journey_stage": item.get("journey_stage", ""),
            "text": item["text"],
            "background": item.get("background", ""),
            "sources": item.get("sources", []),
        }
        statement = existing.get(item["key"])
        if statement is None:
            Statement.objects.create(statement_set=statement_set, key=item["key"], **fields)
        else:
            for name, value in fields.items():
                setattr(statement, name, value)
            statement.save()
    return statement_set


def import_files(paths) -> list[StatementSet]:
    """Validate all files, then import them in one transaction; nothing is written on error."""
    parsed = validate_files(paths)
    with transaction.atomic():
        return [import_set(data) for _path, data in parsed]


def set_to_dict(statement_set: StatementSet) -> dict:
    def statement(s: Statement) -> dict:
        item = {"key": s.key, "type": s.kind, "theme": s.theme}
        if s.journey_stage:
            item["journey_stage"] = s.journey_stage
        item["text"] = s.text
        if s.background:
            item["background"] = s.background
        if s.sources:
            item["sources"] = s.sources
        return item

    data: dict = {"slug": statement_set.slug, "title": statement_set.title}
    if statement_set.description:
        data["description"] = statement_set.description
    if statement_set.audience:
        data["audience"] = statement_set.audience
    data["statements"] = [statement(s) for s in statement_set.statements.order_by("position")]
    return data


def export_set(statement_set: StatementSet) -> str:
    """The set as YAML text, in the shape `import_files` reads."""
    return dump_yaml(set_to_dict(statement_set))
