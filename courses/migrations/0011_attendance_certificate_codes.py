"""Every masterclass registration gets its own certificate verification code (unique)."""

from django.db import migrations, models

import courses.models.learning


def fill_codes(apps, schema_editor):
    Registration = apps.get_model("courses", "LiveSessionRegistration")
    for registration in Registration.objects.filter(certificate_code="").only("pk"):
        registration.certificate_code = courses.models.learning.new_verification_code()
        registration.save(update_fields=["certificate_code"])


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0010_enrollment_reminded_at"),
    ]

    operations = [
        migrations.AlterField(
            model_name="livesessionregistration",
            name="certificate_code",
            field=models.CharField(
                default=courses.models.learning.new_verification_code, max_length=32
            ),
        ),
        migrations.RunPython(fill_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="livesessionregistration",
            name="certificate_code",
            field=models.CharField(
                default=courses.models.learning.new_verification_code, max_length=32, unique=True
            ),
        ),
    ]
