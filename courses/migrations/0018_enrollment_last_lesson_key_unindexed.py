from importlib import import_module

from django.db import migrations, models

content_integrity = import_module("courses.migrations.0016_content_integrity")


def restore_sqlite_triggers(apps, schema_editor):
    """SQLite alters a column by rebuilding its table, which drops the table's triggers: put back
    the content-integrity triggers (0016) of the rebuilt table. PostgreSQL keeps them."""
    if schema_editor.connection.vendor != "sqlite":
        return
    table = "courses_enrollment"
    for suffix in ("insert", "update"):
        for name, rule_table, _columns, _condition in content_integrity.RULES:
            if rule_table == table:
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}_{suffix}")
    content_integrity.create_triggers(apps, schema_editor, only_table=table)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0017_mediablock_transcript_required"),
    ]

    # Restored after the rebuild, and again after the rebuild a reversal makes.
    operations = [
        migrations.RunPython(migrations.RunPython.noop, restore_sqlite_triggers),
        migrations.AlterField(
            model_name="enrollment",
            name="last_lesson_key",
            field=models.SlugField(blank=True, db_index=False, max_length=64),
        ),
        migrations.RunPython(restore_sqlite_triggers, migrations.RunPython.noop),
    ]
