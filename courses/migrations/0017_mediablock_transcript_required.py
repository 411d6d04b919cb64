# A media block needs a transcript, with or without captions (as the form and the import require).
from django.db import migrations, models
from django.db.models import Q


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0016_content_integrity'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='mediablock',
            name='courses_mediablock_accessible',
        ),
        migrations.AddConstraint(
            model_name='mediablock',
            constraint=models.CheckConstraint(
                condition=~Q(transcript=''), name='courses_mediablock_accessible'
            ),
        ),
    ]
