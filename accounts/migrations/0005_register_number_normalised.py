"""RegisterNumber.normalised and register_key: the number rules of accounts.registers, stored so
that the staff overview applies them in SQL. Filled here with the same Python functions that
RegisterNumber.save() uses; a later change of a number rule refills them the same way."""

from django.db import migrations, models

from accounts.registers import register_name_key, stored_normalised_number


def derive(apps, schema_editor):
    RegisterNumber = apps.get_model("accounts", "RegisterNumber")
    batch = []
    for number in RegisterNumber.objects.order_by("pk").iterator(chunk_size=2000):
        number.normalised = stored_normalised_number(number.number, number.register)
        number.register_key = register_name_key(number.register_name)
        batch.append(number)
        if len(batch) >= 2000:
            RegisterNumber.objects.bulk_update(batch, ["normalised", "register_key"])
            batch = []
    RegisterNumber.objects.bulk_update(batch, ["normalised", "register_key"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_awaiting_confirmation"),
    ]

    operations = [
        migrations.AddField(
            model_name="registernumber",
            name="normalised",
            field=models.CharField(blank=True, default="", editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name="registernumber",
            name="register_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=100),
        ),
        migrations.RunPython(derive, migrations.RunPython.noop, elidable=True),
    ]
