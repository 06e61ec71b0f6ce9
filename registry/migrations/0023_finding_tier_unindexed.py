import django.db.models.deletion
from django.db import migrations, models

# Only the index goes: Django's AlterField would also drop and re-add the foreign key
# (revalidating every finding under a lock) for a change that leaves it as it is.
INDEX = "registry_finding_tier_id_d39e95eb"


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0022_finding_computed_at_written"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f"CREATE INDEX {INDEX} ON registry_finding (tier_id)",
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="finding",
                    name="tier",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="findings",
                        to="registry.tier",
                    ),
                ),
            ],
        ),
    ]
