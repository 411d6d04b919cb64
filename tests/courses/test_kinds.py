"""Each block and question kind carries its behaviour on its own class (docs/architecture.md,
"Where a new … goes"): the registry is built from the subclasses, every kind implements the
per-kind interface, and no module outside the models decides by a kind's name."""

import ast
import json
import re
from pathlib import Path

import pytest
from django.template.loader import get_template
from django.utils import translation

from courses.authoring.forms import BLOCK_FORMS
from courses.models import Block, ChangeRecord, Question
from courses.models.authoring import object_label

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "courses/schemas/course-file.schema.json").read_text("utf-8"))
GRADING_JS = (ROOT / "scorm_export/package_static/grading.js").read_text("utf-8")
# Where kinds are defined: the only Python allowed to spell a kind's name.
KIND_MODULES = {"courses/models/content.py"}


def concrete_subclasses(cls):
    for sub in cls.__subclasses__():
        if not sub._meta.proxy and not sub._meta.abstract:
            yield sub
        yield from concrete_subclasses(sub)


@pytest.mark.parametrize("root, schema_name", [(Question, "question"), (Block, "block")])
def test_it_builds_the_registry_from_the_subclasses(root, schema_name):
    kinds = root.kinds()

    assert set(kinds.values()) == set(concrete_subclasses(root))
    assert all(kind == cls.kind for kind, cls in kinds.items())
    assert list(kinds) == SCHEMA["$defs"][schema_name]["properties"]["type"]["enum"]


def test_it_gives_every_question_kind_the_whole_interface():
    for kind, cls in Question.kinds().items():
        for method in ("parse_response", "response_problem", "grade"):
            assert getattr(cls, method) is not getattr(Question, method), (kind, method)
        assert str(cls.label), kind
        assert cls.xapi_interaction_type in {
            "true-false",
            "choice",
            "fill-in",
            "long-fill-in",
            "matching",
            "performance",
            "sequencing",
            "likert",
            "numeric",
            "other",
        }, kind
        get_template(cls.template_name)
        get_template(f"scorm_export/package/questions/{kind}.html")
        if cls.scored:
            # The package's grader has one function per scored kind.
            assert re.search(rf"^\s+{kind}: ", GRADING_JS, re.MULTILINE), kind
        if cls.uses_options:
            assert str(cls.option_help), kind
        assert set(cls.own_fields) <= {f.name for f in cls._meta.get_fields()}, kind


def test_it_gives_every_block_kind_the_whole_interface():
    for kind, cls in Block.kinds().items():
        for method in ("course_file_fields", "create_from_course_file", "plan_course_file"):
            assert getattr(cls, method) is not getattr(Block, method), (kind, method)
        assert str(cls.label) and str(cls.change_label), kind
        get_template(cls.template_name)
        get_template(f"scorm_export/package/blocks/{kind}.html")
        assert BLOCK_FORMS[cls]._meta.model is cls, kind


def kind_names_spelled_in(path: Path, names: set[str]) -> list[str]:
    """String literals in `path` that are kind names (docstrings aside)."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in names and id(node) not in docstrings
    ]


def names_a_kind(node) -> bool:
    """`kind`, `btype`, `x.kind`, `x["type"]`: an expression that holds a kind's name."""
    if isinstance(node, ast.Name):
        return node.id in {"kind", "btype", "qtype"}
    if isinstance(node, ast.Attribute):
        return node.attr == "kind"
    if isinstance(node, ast.Subscript):
        return isinstance(node.slice, ast.Constant) and node.slice.value in {"type", "kind"}
    return False


def kind_comparisons_in(path: Path, names: set[str]) -> list[str]:
    """Comparisons of a kind with a kind name (`kind == "quiz"`, `x["type"] in (...)`)."""
    tree = ast.parse(path.read_text("utf-8"))
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        parts = [node.left, *node.comparators]
        if not any(names_a_kind(part) for part in parts):
            continue
        for part in parts:
            values = part.elts if isinstance(part, ast.Tuple | ast.Set | ast.List) else [part]
            for value in values:
                if isinstance(value, ast.Constant) and value.value in names:
                    hits.append(f"{path.relative_to(ROOT)}:{node.lineno}: {value.value!r}")
    return hits


def test_it_decides_by_the_class_never_by_a_block_kind_name():
    # Block kinds have everyday names ("text", "quiz"), so this looks at comparisons only.
    names = set(Block.kinds())
    compared = [
        hit
        for app in ("courses", "records", "scorm_export")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and str(path.relative_to(ROOT)) not in KIND_MODULES
        for hit in kind_comparisons_in(path, names)
    ]
    # The row tags of the lesson page's one SQL query ("reflection", "decision", "attempt").
    compared = [
        hit
        for hit in compared
        if not (hit.startswith("courses/lesson_pages.py:") and hit.endswith(" 'reflection'"))
    ]

    assert compared == []


def test_it_decides_by_the_class_never_by_a_question_kind_name():
    names = set(Question.kinds())
    spelled = [
        hit
        for app in ("accounts", "courses", "records", "scorm_export", "lms")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts and str(path.relative_to(ROOT)) not in KIND_MODULES
        for hit in kind_names_spelled_in(path, names)
    ]
    # A context variable that happens to share a name with a kind (the evaluation's scale).
    spelled = [hit for hit in spelled if not hit.startswith("courses/views/certificates.py")]

    assert spelled == []


def test_it_names_a_block_in_the_change_log_by_its_class():
    record = ChangeRecord(action=ChangeRecord.Action.CREATE, object_type="text", summary="Welkom")

    with translation.override("nl"):
        assert "tekstblok" in record.sentence()
        assert object_label("persona_story") == "persona-verhaal"
        assert object_label("quiz") == "quiz"
        assert object_label("single_choice") == "single_choice"  # as before: no label
