"""export_register / import_register: a team's register survives a round trip."""

import json

import pytest
from django.core.management import CommandError, call_command

from registry.models import Action, Application, Dependency, FailureMode, Team
from registry.register_backup import SCHEMA_VERSION

pytestmark = pytest.mark.django_db


def sorted_rows(rows) -> list:
    return sorted(rows, key=repr)


def content(team: Team) -> dict:
    """Every row of the team by content and relations, without ids."""
    return {
        "applications": sorted_rows(
            (
                a.name,
                a.tier.level,
                a.dr_strategy.code,
                a.data_residency,
                a.owner,
                a.business_function.name if a.business_function else None,
                tuple(sorted(a.regions.values_list("code", flat=True))),
            )
            for a in Application.objects.filter(team=team)
        ),
        "steps": sorted_rows(
            (s.application.name, s.order, s.name, s.rto_seconds)
            for s in team.applications.model.objects.none()
            .model.objects.filter(team=team)
            .first()
            .steps.model.objects.filter(application__team=team)
        ),
        "dependencies": sorted_rows(
            (
                d.step.name if d.step else None,
                d.dependant_component.name if d.dependant_component else None,
                d.component.name,
                d.hard,
            )
            for d in Dependency.objects.filter(component__team=team)
        ),
        "failure_modes": sorted_rows(
            (
                f.step.name,
                f.mode,
                f.component.name if f.component else None,
                f.severity,
                f.probability,
                f.detectability,
                f.rpn,
                f.action_priority,
                f.status,
                f.created_at.isoformat(),
            )
            for f in FailureMode.objects.filter(team=team)
        ),
        "actions": sorted_rows(
            (a.failure_mode.mode, a.description, a.owner, str(a.due_date), a.status)
            for a in Action.objects.filter(failure_mode__team=team)
        ),
        "history": sorted_rows(
            (h.mode, h.severity, h.history_type)
            for h in FailureMode.history.filter(team_id=team.pk)
        ),
    }


def test_the_demo_team_survives_export_and_restore(tmp_path):
    """Restored as a new team, every row matches the original (ids aside)."""
    call_command("seed_demo", verbosity=0)
    demo = Team.objects.get(slug="demo")
    backup = tmp_path / "demo.json"
    call_command("export_register", "--team", "demo", "--output", str(backup))
    document = json.loads(backup.read_text())
    assert document["schema_version"] == SCHEMA_VERSION
    call_command("import_register", str(backup), "--name", "Demo copy", "--slug", "demo-copy")
    copy = Team.objects.get(slug="demo-copy")
    assert content(copy) == content(demo)
    assert len(content(copy)["failure_modes"]) == 10


def test_restoring_into_an_empty_database(tmp_path):
    """Export, empty the register, restore: the same content comes back."""
    call_command("seed_demo", verbosity=0)
    demo = Team.objects.get(slug="demo")
    before = content(demo)
    backup = tmp_path / "demo.json"
    call_command("export_register", "--team", "demo", "--output", str(backup))
    demo.delete()
    call_command("import_register", str(backup))
    assert content(Team.objects.get(slug="demo")) == before


def test_a_newer_schema_version_is_refused_and_nothing_is_written(tmp_path):
    call_command("seed_demo", verbosity=0)
    backup = tmp_path / "demo.json"
    call_command("export_register", "--team", "demo", "--output", str(backup))
    document = json.loads(backup.read_text())
    document["schema_version"] = SCHEMA_VERSION + 1
    backup.write_text(json.dumps(document))
    with pytest.raises(CommandError, match="schema version"):
        call_command("import_register", str(backup), "--slug", "other", "--name", "Other")
    assert not Team.objects.filter(slug="other").exists()


def test_a_broken_document_writes_nothing(tmp_path):
    """A rating of 11 in the last failure mode aborts the whole restore."""
    call_command("seed_demo", verbosity=0)
    backup = tmp_path / "demo.json"
    call_command("export_register", "--team", "demo", "--output", str(backup))
    document = json.loads(backup.read_text())
    document["failure_modes"][-1]["severity"] = 11
    backup.write_text(json.dumps(document))
    teams = Team.objects.count()
    with pytest.raises(CommandError, match="failure_modes row"):
        call_command("import_register", str(backup), "--slug", "broken", "--name", "Broken")
    assert Team.objects.count() == teams
