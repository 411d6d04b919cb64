from django.db import migrations, models


def keep_current_terms(apps, schema_editor):
    """Versions published before this migration keep the terms they show today: the best record
    there is of what was approved."""
    CourseVersion = apps.get_model("courses", "CourseVersion")
    GlossaryTerm = apps.get_model("courses", "GlossaryTerm")
    for version in CourseVersion.objects.exclude(status="draft"):
        version.glossary = {
            str(term.pk): {"term": term.term, "definition": term.definition}
            for term in GlossaryTerm.objects.filter(courses=version.course_id)
        }
        version.save(update_fields=["glossary"])


class Migration(migrations.Migration):
    # After both of main's leaves (0013 and 0014 both follow 0012): this also merges them.
    dependencies = [
        ("courses", "0013_course_import"),
        ("courses", "0014_quiz_show_correct_after_fail"),
    ]

    operations = [
        migrations.AddField(
            model_name="courseversion",
            name="glossary",
            field=models.JSONField(
                blank=True, default=dict, verbose_name="begrippen bij publicatie"
            ),
        ),
        migrations.RunPython(keep_current_terms, migrations.RunPython.noop),
    ]
