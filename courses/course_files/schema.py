"""Validating parsed content files against the published JSON Schema, with errors in plain Dutch."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "course-file.schema.json"

KINDS = ("personas", "glossary", "course", "tracks")
_DEFS = {
    "personas": "personas_file",
    "glossary": "glossary_file",
    "course": "course_file",
    "tracks": "tracks_file",
}
_TYPE_NAMES = {
    "string": "tekst",
    "integer": "geheel getal",
    "number": "getal",
    "boolean": "true of false",
    "array": "lijst",
    "object": "mapping (velden met waarden)",
    "null": "leeg",
}


@cache
def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def _validator(kind: str) -> Draft202012Validator:
    schema = load_schema()
    return Draft202012Validator(
        {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{_DEFS[kind]}"}
    )


def kind_of(data) -> str:
    """Which kind of content file `data` is, from its top-level key."""
    if isinstance(data, dict):
        if "personas" in data:
            return "personas"
        if "terms" in data:
            return "glossary"
        if "tracks" in data:
            return "tracks"
        if "statements" in data:
            return "statements"  # a conversation statement set: conversations.import_statements
    return "course"


def _type_name(value) -> str:
    if isinstance(value, bool):
        return _TYPE_NAMES["boolean"]
    if value is None:
        return _TYPE_NAMES["null"]
    if isinstance(value, int):
        return _TYPE_NAMES["integer"]
    if isinstance(value, float):
        return _TYPE_NAMES["number"]
    if isinstance(value, str):
        return _TYPE_NAMES["string"]
    if isinstance(value, list):
        return _TYPE_NAMES["array"]
    if isinstance(value, dict):
        return _TYPE_NAMES["object"]
    return type(value).__name__


def _describe(error) -> list[tuple[tuple, str]]:
    """Turn one jsonschema error into (path, Dutch message) pairs."""
    path = tuple(error.absolute_path)
    v, expected, instance = error.validator, error.validator_value, error.instance
    last = path[-1] if path else None
    parent = path[-3] if len(path) >= 3 else None
    if v == "required":
        return [
            (path + (name,), _("verplicht veld ‘%(field)s’ ontbreekt") % {"field": name})
            for name in expected
            if isinstance(instance, dict) and name not in instance
        ]
    if v == "additionalProperties":
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in instance if k not in allowed] if isinstance(instance, dict) else []
        return [
            (
                path + (name,),
                _("onbekend veld ‘%(field)s’; toegestaan zijn: %(allowed)s")
                % {"field": name, "allowed": ", ".join(sorted(allowed))},
            )
            for name in extra
        ]
    if v == "enum":
        choices = ", ".join(str(c) for c in expected)
        if last == "type" and parent == "blocks":
            return [
                (
                    path,
                    _("onbekend bloktype ‘%(value)s’; kies uit: %(choices)s")
                    % {"value": instance, "choices": choices},
                )
            ]
        if last == "type" and parent == "questions":
            return [
                (
                    path,
                    _("onbekend vraagtype ‘%(value)s’; kies uit: %(choices)s")
                    % {"value": instance, "choices": choices},
                )
            ]
        return [
            (
                path,
                _("‘%(value)s’ is geen geldige waarde; kies uit: %(choices)s")
                % {"value": instance, "choices": choices},
            )
        ]
    if v == "const":
        return [
            (
                path,
                _("moet %(value)s zijn, niet %(got)s")
                % {"value": json.dumps(expected), "got": json.dumps(instance, default=str)},
            )
        ]
    if v == "type":
        names = expected if isinstance(expected, list) else [expected]
        wanted = _(" of ").join(_TYPE_NAMES.get(str(n), str(n)) for n in names)
        return [
            (
                path,
                _("verwacht %(expected)s, maar dit is %(got)s")
                % {"expected": wanted, "got": _type_name(instance)},
            )
        ]
    if v == "minimum":
        return [
            (
                path,
                _("%(value)s is te klein: het minimum is %(limit)s")
                % {"value": instance, "limit": expected},
            )
        ]
    if v == "maximum":
        return [
            (
                path,
                _("%(value)s is te groot: het maximum is %(limit)s")
                % {"value": instance, "limit": expected},
            )
        ]
    if v == "minLength":
        if expected == 1:
            return [(path, _("mag niet leeg zijn"))]
        return [(path, _("is te kort: minimaal %(limit)s tekens") % {"limit": expected})]
    if v == "maxLength":
        return [
            (
                path,
                _("is te lang (%(length)s tekens): maximaal %(limit)s")
                % {"length": len(instance), "limit": expected},
            )
        ]
    if v == "minItems":
        return [(path, _("moet minstens %(limit)s onderdelen hebben") % {"limit": expected})]
    if v == "pattern":
        if expected.startswith("^http"):
            return [
                (path, _("‘%(value)s’ moet beginnen met http:// of https://") % {"value": instance})
            ]
        return [
            (
                path,
                _(
                    "‘%(value)s’ is geen geldige sleutel: gebruik kleine letters, cijfers en "
                    "streepjes (bijvoorbeeld ‘les-1’)"
                )
                % {"value": instance},
            )
        ]
    return [(path, error.message)]


def schema_errors(kind: str, data) -> list[tuple[tuple, str]]:
    """All schema problems of `data` as (path, message) pairs, in document order of their paths."""
    found = []
    for error in _validator(kind).iter_errors(data):
        found.extend(_describe(error))
    return found


def describe_error(error) -> list[tuple[tuple, str]]:
    """One jsonschema error as (path, Dutch message) pairs; other content formats (statement sets
    in `conversations`) validate against their own schema and word their errors the same way."""
    return _describe(error)
