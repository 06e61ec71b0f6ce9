"""Generating a run: claimed once, the file stored only when complete, failures
recorded with their error and no file."""

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from registry.models import JobStatus, ReportRun
from registry.reports import data, runs
from registry.reports.tasks import generate_report_task
from registry.reports.writers import csv


def stored_files(media) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), media)
        for folder, _, names in os.walk(media)
        for name in names
    )


def test_a_requested_run_is_queued_with_its_scope(demo, demo_owner):
    run = runs.request_report(
        team=demo, user=demo_owner, format="csv", scope={"tiers": [1], "min_rpn": 50}
    )
    run.refresh_from_db()
    assert (run.status, run.tiers, run.min_rpn, run.file.name) == ("queued", [1], 50, "")


def test_the_task_generates_the_run_and_stores_the_file(demo, demo_owner, media):
    run = runs.request_report(team=demo, user=demo_owner, format="xlsx", scope={})
    assert generate_report_task(run.pk) == "done"
    run.refresh_from_db()
    assert run.status == JobStatus.DONE
    assert run.row_count == run.progress_done == run.progress_total == demo.failure_modes.count()
    assert run.file.name.startswith(f"reports/team-{demo.pk}/report-{run.pk}-")
    assert run.file_size == run.file.size > 0
    assert run.started_at <= run.finished_at
    assert stored_files(media) == [run.file.name]


def test_running_a_done_run_again_changes_nothing(make_run, media):
    run = make_run("csv")
    before = ReportRun.objects.filter(pk=run.pk).values().get()
    assert generate_report_task(run.pk) == "skipped"
    assert ReportRun.objects.filter(pk=run.pk).values().get() == before
    assert stored_files(media) == [run.file.name]


def test_only_one_of_two_claims_wins(demo, demo_owner):
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    assert runs.claim(run.pk, "task-1") is not None
    assert runs.claim(run.pk, "task-2") is None
    assert runs.claim(run.pk) is None


def test_a_run_left_running_by_a_lost_worker_can_be_claimed_again(demo, demo_owner, settings):
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    long_ago = timezone.now() - timedelta(seconds=settings.REPORT_STALE_AFTER_SECONDS + 5)
    ReportRun.objects.filter(pk=run.pk).update(status="running", started_at=long_ago)
    assert generate_report_task(run.pk) == "done"


def test_the_same_task_delivered_again_takes_over_the_run_its_dead_attempt_left(
    demo, demo_owner, media
):
    """The worker died mid-run: the redelivered task (same id) generates the run, while
    a different task still finds it taken."""
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    assert runs.claim(run.pk, "task-1") is not None  # the attempt whose worker died
    assert runs.generate(run.pk, task_id="task-2") == "skipped"
    assert runs.generate(run.pk, task_id="task-1") == "done"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.claimed_by) == ("done", 2, "task-1")
    assert stored_files(media) == [run.file.name]


def test_an_attempt_taken_over_cannot_finish_and_leaves_no_file(
    demo, demo_owner, media, monkeypatch
):
    """Two live attempts of one task: the first, taken over while it wrote, cannot mark
    the run done and deletes its file."""
    real_write = csv.write

    def write_then_taken_over(context, out, progress):
        rows = real_write(context, out, progress)
        assert runs.claim(context.run.pk, "task-1") is not None  # the second attempt
        return rows

    monkeypatch.setattr(csv, "write", write_then_taken_over)
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    assert runs.generate(run.pk, task_id="task-1") == "skipped"
    run.refresh_from_db()
    assert (run.status, run.attempts, run.file.name) == ("running", 2, "")
    assert stored_files(media) == []


def test_a_task_whose_worker_keeps_dying_fails_its_run(demo, demo_owner, media):
    """After MAX_ATTEMPTS deaths the redelivery fails the run instead of looping."""
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    for _ in range(runs.MAX_ATTEMPTS):
        assert runs.claim(run.pk, "task-1") is not None
    assert runs.generate(run.pk, task_id="task-1") == "failed"
    run.refresh_from_db()
    assert (run.status, run.attempts) == ("failed", runs.MAX_ATTEMPTS)
    assert f"stopped {runs.MAX_ATTEMPTS} times" in run.error
    assert stored_files(media) == []


def test_a_report_that_raises_midway_fails_with_its_error_and_no_file(
    demo, demo_owner, media, monkeypatch
):
    """The writer breaks after some rows: the run is failed, with the error, no file
    in storage and none on the run; the temporary file is gone."""
    written = []
    original = data.worksheet_rows

    def breaking_rows(queryset, chunk_size=2000):
        for index, row in enumerate(original(queryset, chunk_size)):
            if index == 3:
                raise RuntimeError("disk on fire")
            written.append(row)
            yield row

    monkeypatch.setattr(data, "worksheet_rows", breaking_rows)
    run = runs.request_report(team=demo, user=demo_owner, format="xlsx", scope={})
    assert generate_report_task(run.pk) == "failed"
    run.refresh_from_db()
    assert len(written) == 3
    assert run.status == JobStatus.FAILED
    assert "disk on fire" in run.error
    assert run.file.name == "" and run.file_size is None
    assert run.finished_at is not None
    assert stored_files(media) == []
    assert generate_report_task(run.pk) == "skipped"  # a failed run stays failed


def test_a_failure_after_the_file_is_stored_removes_it(demo, demo_owner, media, monkeypatch):
    """Saving the finished run fails: the stored file is deleted again."""
    from django.db.models import QuerySet

    real_update = QuerySet.update

    def update(self, **values):
        if values.get("status") == JobStatus.DONE:
            raise RuntimeError("database went away")
        return real_update(self, **values)

    monkeypatch.setattr(QuerySet, "update", update)
    run = runs.request_report(team=demo, user=demo_owner, format="csv", scope={})
    assert runs.generate(run.pk) == "failed"
    run.refresh_from_db()
    assert run.status == JobStatus.FAILED and run.file.name == ""
    assert stored_files(media) == []


def test_a_pdf_over_the_row_limit_fails_with_a_clear_message(demo, demo_owner, settings):
    settings.REPORT_PDF_MAX_ROWS = 3
    run = runs.request_report(team=demo, user=demo_owner, format="pdf", scope={})
    assert runs.generate(run.pk) == "failed"
    run.refresh_from_db()
    assert "a PDF report holds at most 3" in run.error
    assert "Narrow the scope" in run.error


def test_a_scope_naming_another_teams_application_is_refused(demo, demo_owner, team_b):
    from django.core.exceptions import ValidationError

    from tests.factories import ApplicationFactory

    other = ApplicationFactory(team=team_b)
    with pytest.raises(ValidationError) as caught:
        runs.request_report(
            team=demo, user=demo_owner, format="csv", scope={"applications": [other.pk]}
        )
    assert f"No application {other.pk} in the team." in str(caught.value)


def test_progress_reaches_the_total(make_run, demo):
    run = make_run("pdf")
    assert run.progress_percent == 100
    assert run.progress_done == run.progress_total == demo.failure_modes.count()


@pytest.mark.django_db(transaction=True)
def test_csv_progress_is_recorded_while_postgresql_streams_the_copy(postgres, monkeypatch):
    """The report's connection is busy with the COPY: progress goes through another one,
    committed at once for pollers (on the same connection it would wait forever)."""
    from django.core.management import call_command

    from registry.jobs import ProgressWriter
    from registry.models import FailureMode, Team

    call_command("seed_demo", verbosity=0)
    demo = Team.objects.get(slug="demo")
    step = FailureMode.objects.filter(team=demo).first().step
    FailureMode.objects.bulk_create(
        FailureMode(team=demo, step=step, mode=f"Extra {n}", severity=5, probability=5,
                    detectability=5, effect="x" * 200)
        for n in range(3000)
    )  # fmt: skip
    monkeypatch.setattr(runs, "PROGRESS_INTERVAL_SECONDS", 0)
    seen = []
    real = ProgressWriter._write_apart

    def spy(self, values):
        real(self, values)
        with self.apart.cursor() as cursor:
            cursor.execute("SELECT progress_done FROM registry_reportrun WHERE id = %s", [self.pk])
            seen.append(cursor.fetchone()[0])

    monkeypatch.setattr(ProgressWriter, "_write_apart", spy)
    run = runs.request_report(team=demo, user=None, format="csv", scope={})
    assert runs.generate(run.pk) == "done"
    total = demo.failure_modes.count()
    assert len(seen) > 3
    assert 0 < seen[-1] <= total and seen == sorted(seen)
    run.refresh_from_db()
    assert run.progress_done == run.row_count == total
