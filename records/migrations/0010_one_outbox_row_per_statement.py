"""One outbox row per statement (XapiStatement), fanned out to per-LRS delivery rows at delivery.

Existing per-LRS rows keep their meaning: each distinct statement becomes one XapiStatement
(already fanned out), and every per-LRS row points at it, keeping its status, attempts and the
LRS's answer. The payload moves from the per-LRS rows to the statement.
"""

import django.db.models.deletion
from django.db import migrations, models


def statements_from_rows(apps, schema_editor):
    StatementOutbox = apps.get_model("records", "StatementOutbox")
    XapiStatement = apps.get_model("records", "XapiStatement")
    Enrollment = apps.get_model("courses", "Enrollment")
    rows = StatementOutbox.objects.select_related("lrs__body").order_by("id")
    courses = {}
    created = {}
    for row in rows.iterator(chunk_size=1000):
        key = str(row.statement_id)
        if key not in created:
            registration = (row.payload.get("context") or {}).get("registration") or ""
            if registration and registration not in courses:
                courses[registration] = (
                    Enrollment.objects.filter(registration=registration)
                    .values_list("course_id", flat=True)
                    .first()
                    or 0
                )
            statement = XapiStatement.objects.create(
                statement_id=row.statement_id,
                verb=row.verb,
                payload=row.payload,
                course_id=courses.get(registration, 0),
                actor_mode=row.lrs.body.actor_mode if row.lrs.body_id else "account",
                fanned_out=True,
            )
            created[key] = statement.pk
        StatementOutbox.objects.filter(pk=row.pk).update(xapi_statement_id=created[key])


def rows_from_statements(apps, schema_editor):
    StatementOutbox = apps.get_model("records", "StatementOutbox")
    for row in StatementOutbox.objects.select_related("xapi_statement").iterator(chunk_size=1000):
        StatementOutbox.objects.filter(pk=row.pk).update(payload=row.xapi_statement.payload)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0009_pe_online_editions"),
    ]

    operations = [
        migrations.CreateModel(
            name="XapiStatement",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("statement_id", models.UUIDField(unique=True, verbose_name="statement-id")),
                ("verb", models.CharField(blank=True, max_length=40, verbose_name="werkwoord")),
                ("payload", models.JSONField()),
                ("course_id", models.PositiveIntegerField()),
                ("actor_mode", models.CharField(max_length=16)),
                ("fanned_out", models.BooleanField(default=False)),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="aangemaakt")),
            ],
            options={
                "verbose_name": "xAPI-statement",
                "verbose_name_plural": "xAPI-statements (outbox)",
                "indexes": [
                    models.Index(
                        condition=models.Q(("fanned_out", False)),
                        fields=["id"],
                        name="records_statement_fanout_idx",
                    )
                ],
            },
        ),
        migrations.AddField(
            model_name="statementoutbox",
            name="xapi_statement",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="records.xapistatement",
            ),
        ),
        migrations.AlterField(
            model_name="statementoutbox", name="payload", field=models.JSONField(null=True)
        ),
        migrations.RunPython(statements_from_rows, rows_from_statements),
        migrations.AlterField(
            model_name="statementoutbox",
            name="xapi_statement",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="records.xapistatement",
            ),
        ),
        migrations.RemoveField(model_name="statementoutbox", name="payload"),
    ]
