"""manage.py import_worksheet FILE --team SLUG."""

import pytest
from django.core.management import CommandError, call_command

from registry.models import FailureMode
from tests.imports.conftest import NOTHING, csv_bytes, register_counts, sample_rows

SAMPLE_COUNTS = "Created 5 failure modes, 3 actions, 2 applications, 4 steps, 5 components"


def test_it_imports_a_file_into_a_team(empty_team, sample_bytes, tmp_path, capsys):
    path = tmp_path / "worksheet.csv"
    path.write_bytes(sample_bytes)
    call_command("import_worksheet", str(path), team="empty")
    assert SAMPLE_COUNTS in capsys.readouterr().out
    assert FailureMode.objects.filter(team=empty_team).count() == 5


def test_a_dry_run_writes_nothing(empty_team, sample_bytes, tmp_path, capsys):
    path = tmp_path / "worksheet.csv"
    path.write_bytes(sample_bytes)
    call_command("import_worksheet", str(path), team="empty", dry_run=True)
    assert "Would create 5 failure modes" in capsys.readouterr().out
    assert register_counts(empty_team) == NOTHING


def test_problems_are_listed_and_nothing_is_written(empty_team, tmp_path, capsys):
    rows = sample_rows()
    rows[2][rows[0].index("tier")] = "9"
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    with pytest.raises(CommandError, match="1 problem found; nothing was imported"):
        call_command("import_worksheet", str(path), team="empty")
    assert "row 3, column tier: Unknown tier '9'" in capsys.readouterr().err
    assert register_counts(empty_team) == NOTHING


def test_an_unknown_team_or_file_is_an_error(empty_team, tmp_path):
    with pytest.raises(CommandError, match="No team with the slug 'nope'"):
        call_command("import_worksheet", str(tmp_path / "x.csv"), team="nope")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_worksheet", str(tmp_path / "missing.csv"), team="empty")
