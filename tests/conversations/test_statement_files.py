import pytest
import yaml
from django.core.management import CommandError, call_command

from conversations.models import Statement, StatementSet
from conversations.statement_files import export_set, import_files, validate_text
from courses.course_files.errors import ContentFilesInvalid
from tests.conversations.support import SEED, seed_set

pytestmark = pytest.mark.django_db


def test_it_imports_the_seed_set_with_25_to_30_sourced_statements():
    statement_set = seed_set()
    statements = list(statement_set.statements.all())
    assert 25 <= len(statements) <= 30
    kinds = {s.kind for s in statements}
    assert kinds == {Statement.Kind.EXPERIENCE, Statement.Kind.DISCUSSION}
    assert {s.theme for s in statements} == set(Statement.Theme.values)
    # Every background (the facts) names where it comes from.
    for s in statements:
        if s.background:
            assert s.sources, s.key


def test_it_round_trips_the_seed_file_unchanged(tmp_path):
    statement_set = seed_set()
    exported = export_set(statement_set)
    assert yaml.safe_load(exported) == yaml.safe_load(SEED.read_text(encoding="utf-8"))
    out = tmp_path / "again.yaml"
    out.write_text(exported, encoding="utf-8")
    again = import_files([out])[0]
    assert export_set(again) == exported


def test_it_reports_errors_with_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "slug: kapot\ntitle: Kapot\nstatements:\n"
        "  - key: a\n    type: opinion\n    theme: bias\n    text: Iets\n"
        "  - key: a\n    type: discussion\n    theme: bias\n",
        encoding="utf-8",
    )
    with pytest.raises(ContentFilesInvalid) as caught:
        import_files([bad])
    text = str(caught.value)
    assert "bad.yaml:5: statements[0].type" in text
    assert "statements[1].text" in text and "verplicht" in text
    assert "statements[1].key" in text
    assert not StatementSet.objects.filter(slug="kapot").exists()


def test_it_keeps_statement_rows_when_a_set_is_reimported():
    statement_set = seed_set()
    first = statement_set.statements.get(key="coming-in")
    seed_set()
    assert statement_set.statements.get(key="coming-in").pk == first.pk


def test_it_validates_imports_and_exports_through_commands(tmp_path, capsys):
    call_command("validate_statements", str(SEED))
    call_command("import_statements", str(SEED))
    out = tmp_path / "out.yaml"
    call_command("export_statements", "wat-vind-jij", "-o", str(out))
    assert yaml.safe_load(out.read_text()) == yaml.safe_load(SEED.read_text())
    with pytest.raises(CommandError):
        call_command("export_statements", "bestaat-niet", "-o", str(out))


def test_it_rejects_a_yaml_syntax_error_with_its_line():
    _data, errors = validate_text("slug: x\ntitle: [onaf\n", "x.yaml")
    assert errors and errors[0].line == 3  # where the unclosed list is found to be unclosed
    assert "ongeldige YAML" in errors[0].message
