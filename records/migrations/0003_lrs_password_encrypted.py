"""LRS passwords are encrypted at rest: widen the column, then encrypt the rows stored in plain."""

from django.db import migrations

import lms.encryption


def _rewrite(schema_editor, convert):
    # Raw SQL: the model field would try to decrypt the plain values on the way in.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, password FROM records_learningrecordstore WHERE password <> ''")
        for pk, value in cursor.fetchall():
            cursor.execute(
                "UPDATE records_learningrecordstore SET password = %s WHERE id = %s",
                [convert(value), pk],
            )


def encrypt_stored_passwords(apps, schema_editor):
    _rewrite(schema_editor, lms.encryption.encrypt)


def decrypt_stored_passwords(apps, schema_editor):
    _rewrite(schema_editor, lms.encryption.decrypt)


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0002_registers_as_pe_online_knows_them"),
    ]

    operations = [
        migrations.AlterField(
            model_name="learningrecordstore",
            name="password",
            field=lms.encryption.EncryptedTextField(blank=True, verbose_name="wachtwoord"),
        ),
        migrations.RunPython(encrypt_stored_passwords, decrypt_stored_passwords),
    ]
