"""Report runs record the task and the attempt that hold them, and how many attempts
started, so that a task delivered again after its worker died takes its run over.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_reports"),
    ]

    operations = [
        migrations.AddField(
            model_name="reportrun",
            name="attempts",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="How many times generation started: more than once when the worker running it died and the task was delivered again.",
            ),
        ),
        migrations.AddField(
            model_name="reportrun",
            name="claim_token",
            field=models.CharField(
                blank=True,
                editable=False,
                help_text="Token of the attempt that holds the run: only that attempt may finish it.",
                max_length=32,
            ),
        ),
        migrations.AddField(
            model_name="reportrun",
            name="claimed_by",
            field=models.CharField(
                blank=True,
                help_text="Celery id of the task generating the run: if the worker running it dies, the redelivered task (same id) takes the run over.",
                max_length=64,
            ),
        ),
    ]
