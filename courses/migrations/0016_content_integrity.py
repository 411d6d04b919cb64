"""The database keeps what the code assumes about a version's content.

- Unique positions for question options, scenario steps and scenario choices (an ordering
  question's answer *is* the option positions). Rows stored before this get renumbered 0..n-1
  per parent first (in their current order), where a parent had a position twice.
- Triggers for the rules across rows: an enrolment's course is its version's course; a quiz
  block shows a quiz of its own version; a scenario choice leads to a step of its own scenario.
  They raise an integrity error (SQLSTATE 23514 on PostgreSQL, a constraint error on SQLite), so
  a row that bypasses the model code is refused as well.
"""

from django.db import migrations, models
from django.db.models import Count

# (table, position column, parent column)
POSITIONED = [
    ("option", "position", "question_id"),
    ("scenariostep", "position", "scenario_id"),
    ("scenariochoice", "position", "step_id"),
]


def renumber_duplicate_positions(apps, schema_editor):
    for model_name, _position, parent in POSITIONED:
        model = apps.get_model("courses", model_name)
        doubled = (
            model.objects.values(parent)
            .annotate(n=Count("pk"), distinct_positions=Count("position", distinct=True))
            .filter(n__gt=models.F("distinct_positions"))
            .values_list(parent, flat=True)
        )
        for parent_id in list(doubled):
            rows = model.objects.filter(**{parent: parent_id})
            ids = list(rows.order_by("position", "pk").values_list("pk", flat=True))
            top = max(rows.values_list("position", flat=True)) + 1
            for offset, pk in enumerate(ids):  # park first: no two rows meet on a number
                rows.filter(pk=pk).update(position=top + offset)
            for position, pk in enumerate(ids):
                rows.filter(pk=pk).update(position=position)


# Each rule: (name, table, columns that trigger the check, the condition a row must meet).
RULES = [
    (
        "courses_enrollment_course_of_version",
        "courses_enrollment",
        ["course_id", "version_id"],
        "EXISTS (SELECT 1 FROM courses_courseversion v"
        " WHERE v.id = NEW.version_id AND v.course_id = NEW.course_id)",
    ),
    (
        "courses_quizblock_quiz_of_version",
        "courses_quizblock",
        ["quiz_id", "block_ptr_id"],
        "EXISTS (SELECT 1 FROM courses_block b"
        " JOIN courses_lesson l ON l.id = b.lesson_id"
        " JOIN courses_module m ON m.id = l.module_id"
        " JOIN courses_quiz q ON q.version_id = m.version_id"
        " WHERE b.id = NEW.block_ptr_id AND q.id = NEW.quiz_id)",
    ),
    (
        "courses_scenariochoice_next_step_of_scenario",
        "courses_scenariochoice",
        ["next_step_id", "step_id"],
        "NEW.next_step_id IS NULL OR EXISTS (SELECT 1 FROM courses_scenariostep s"
        " JOIN courses_scenariostep n ON n.scenario_id = s.scenario_id"
        " WHERE s.id = NEW.step_id AND n.id = NEW.next_step_id)",
    ),
]


def create_triggers(apps, schema_editor, only_table=None):
    vendor = schema_editor.connection.vendor
    for name, table, columns, condition in RULES:
        if only_table is not None and table != only_table:
            continue
        if vendor == "postgresql":
            schema_editor.execute(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                f" IF NOT ({condition}) THEN"
                f" RAISE EXCEPTION '{name}' USING ERRCODE = 'check_violation';"
                " END IF; RETURN NEW; END $$"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {name} BEFORE INSERT OR UPDATE OF {', '.join(columns)}"
                f" ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        elif vendor == "sqlite":
            events = [("insert", "INSERT"), ("update", f"UPDATE OF {', '.join(columns)}")]
            for suffix, event in events:
                schema_editor.execute(
                    f"CREATE TRIGGER {name}_{suffix} BEFORE {event} ON {table}"
                    f" WHEN NOT ({condition}) BEGIN SELECT RAISE(ABORT, '{name}'); END"
                )
        else:
            raise NotImplementedError(f"no integrity triggers for {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for name, table, _columns, _condition in RULES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            for suffix in ("insert", "update"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0015_version_glossary"),
    ]

    operations = [
        migrations.RunPython(renumber_duplicate_positions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="option",
            constraint=models.UniqueConstraint(
                fields=("question", "position"), name="courses_option_unique_position"
            ),
        ),
        migrations.AddConstraint(
            model_name="scenariochoice",
            constraint=models.UniqueConstraint(
                fields=("step", "position"), name="courses_scenariochoice_unique_position"
            ),
        ),
        migrations.AddConstraint(
            model_name="scenariostep",
            constraint=models.UniqueConstraint(
                fields=("scenario", "position"), name="courses_scenariostep_unique_position"
            ),
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
