"""Team revisions: bumped by triggers whenever a team's failure-mode list may count
differently, so that list counts can be cached without ever serving a stale one.

PostgreSQL only: SQLite keeps counting every time, which is fast at its sizes.
Statement-level triggers with transition tables cost one upsert per statement, however
many rows it writes (an import of 10,000 failure modes bumps its team once per batch).
Revisions are upserted in team order, so two statements touching the same teams lock
them in the same order.
"""

from django.db import migrations, models

CREATE = """
CREATE SEQUENCE registry_teamrevision_seq;

CREATE FUNCTION registry_bump_team_revisions(team_ids bigint[]) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO registry_teamrevision (team_id, revision)
    SELECT changed.team_id, nextval('registry_teamrevision_seq')
    FROM (SELECT DISTINCT unnest(team_ids) AS team_id ORDER BY 1) AS changed
    WHERE changed.team_id IS NOT NULL
    ON CONFLICT (team_id) DO UPDATE SET revision = EXCLUDED.revision
$$;

CREATE FUNCTION registry_failuremode_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(ARRAY(SELECT team_id FROM new_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION registry_failuremode_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(ARRAY(SELECT team_id FROM old_rows));
    RETURN NULL;
END $$;

CREATE FUNCTION registry_failuremode_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(
        ARRAY(SELECT team_id FROM old_rows UNION SELECT team_id FROM new_rows)
    );
    RETURN NULL;
END $$;

CREATE FUNCTION registry_failuremode_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_teamrevision SET revision = nextval('registry_teamrevision_seq');
    RETURN NULL;
END $$;

CREATE TRIGGER registry_failuremode_revision_insert AFTER INSERT ON registry_failuremode
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_failuremode_inserted();
CREATE TRIGGER registry_failuremode_revision_delete AFTER DELETE ON registry_failuremode
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_failuremode_deleted();
CREATE TRIGGER registry_failuremode_revision_update AFTER UPDATE ON registry_failuremode
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION registry_failuremode_updated();
CREATE TRIGGER registry_failuremode_revision_truncate AFTER TRUNCATE ON registry_failuremode
    FOR EACH STATEMENT EXECUTE FUNCTION registry_failuremode_truncated();

-- The list filters by application and by tier level through these.
CREATE FUNCTION registry_step_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(ARRAY(
        SELECT team_id FROM registry_application
        WHERE id IN (OLD.application_id, NEW.application_id)
    ));
    RETURN NULL;
END $$;
CREATE TRIGGER registry_step_revision AFTER UPDATE ON registry_step
    FOR EACH ROW WHEN (OLD.application_id IS DISTINCT FROM NEW.application_id)
    EXECUTE FUNCTION registry_step_moved();

CREATE FUNCTION registry_application_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(ARRAY[OLD.team_id, NEW.team_id]);
    RETURN NULL;
END $$;
CREATE TRIGGER registry_application_revision AFTER UPDATE ON registry_application
    FOR EACH ROW WHEN (OLD.tier_id IS DISTINCT FROM NEW.tier_id
                       OR OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION registry_application_moved();

CREATE FUNCTION registry_tier_releveled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM registry_bump_team_revisions(ARRAY(
        SELECT team_id FROM registry_application WHERE tier_id = NEW.id
    ));
    RETURN NULL;
END $$;
CREATE TRIGGER registry_tier_revision AFTER UPDATE ON registry_tier
    FOR EACH ROW WHEN (OLD.level IS DISTINCT FROM NEW.level)
    EXECUTE FUNCTION registry_tier_releveled();

-- A deleted team's revision goes with it (its failure modes were deleted before it).
CREATE FUNCTION registry_team_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM registry_teamrevision WHERE team_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER registry_team_revision AFTER DELETE ON registry_team
    FOR EACH ROW EXECUTE FUNCTION registry_team_deleted();

SELECT registry_bump_team_revisions(ARRAY(SELECT id FROM registry_team));
"""

DROP = """
DROP TRIGGER IF EXISTS registry_team_revision ON registry_team;
DROP TRIGGER IF EXISTS registry_tier_revision ON registry_tier;
DROP TRIGGER IF EXISTS registry_application_revision ON registry_application;
DROP TRIGGER IF EXISTS registry_step_revision ON registry_step;
DROP TRIGGER IF EXISTS registry_failuremode_revision_truncate ON registry_failuremode;
DROP TRIGGER IF EXISTS registry_failuremode_revision_update ON registry_failuremode;
DROP TRIGGER IF EXISTS registry_failuremode_revision_delete ON registry_failuremode;
DROP TRIGGER IF EXISTS registry_failuremode_revision_insert ON registry_failuremode;
DROP FUNCTION IF EXISTS registry_team_deleted();
DROP FUNCTION IF EXISTS registry_tier_releveled();
DROP FUNCTION IF EXISTS registry_application_moved();
DROP FUNCTION IF EXISTS registry_step_moved();
DROP FUNCTION IF EXISTS registry_failuremode_truncated();
DROP FUNCTION IF EXISTS registry_failuremode_updated();
DROP FUNCTION IF EXISTS registry_failuremode_deleted();
DROP FUNCTION IF EXISTS registry_failuremode_inserted();
DROP FUNCTION IF EXISTS registry_bump_team_revisions(bigint[]);
DROP SEQUENCE IF EXISTS registry_teamrevision_seq;
"""


def create_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_triggers(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0007_finding_computed_at_help"),
    ]

    operations = [
        migrations.CreateModel(
            name="TeamRevision",
            fields=[
                ("team_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("revision", models.BigIntegerField()),
            ],
            options={
                "ordering": ["team_id"],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
