"""Report schedules: kept in sync with their beat entry; each firing makes one run and
sends one email with the report, opening with what changed since the previous one."""

import json

import pytest
from django.core import mail
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from registry.analysis import rollups
from registry.models import Action, FailureMode, ReportRun, ReportSchedule
from registry.reports import schedules
from registry.reports.tasks import run_report_schedule_task


@pytest.fixture
def schedule(demo, demo_owner):
    return ReportSchedule.objects.create(
        team=demo,
        name="Weekly risk",
        format="pdf",
        crontab="0 7 * * 1",
        recipients="boss@example.com,\ncto@example.com",
        created_by=demo_owner,
    )


def test_a_new_schedule_gets_its_beat_entry(schedule):
    task = PeriodicTask.objects.get(name=f"report-schedule-{schedule.pk}")
    assert schedule.periodic_task == task
    assert task.task == "registry.run_report_schedule"
    assert json.loads(task.kwargs) == {"schedule_id": schedule.pk}
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("0", "7", "1")
    assert task.enabled


def test_changing_the_schedule_changes_its_beat_entry(schedule):
    schedule.crontab = "30 6 1 * *"
    schedule.enabled = False
    schedule.save()
    task = PeriodicTask.objects.get(pk=schedule.periodic_task_id)
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("30", "6", "1")
    assert not task.enabled
    assert PeriodicTask.objects.filter(name__startswith="report-schedule-").count() == 1


def test_deleting_the_schedule_or_its_team_removes_the_beat_entry(schedule, demo):
    other = ReportSchedule.objects.create(
        team=demo, name="Monthly", format="csv", crontab="0 8 1 * *", recipients="a@example.com"
    )
    schedule.delete()
    assert not PeriodicTask.objects.filter(name=f"report-schedule-{schedule.pk}").exists()
    demo.delete()
    assert not PeriodicTask.objects.filter(name=f"report-schedule-{other.pk}").exists()


def test_a_firing_makes_one_run_and_one_email_with_the_report(schedule):
    assert run_report_schedule_task(schedule.pk) == "emailed"
    run = ReportRun.objects.get(schedule=schedule)
    assert run.status == "done" and run.emailed_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["boss@example.com", "cto@example.com"]
    assert "Weekly risk" in message.subject and "Demo retail" in message.subject
    assert "first report" in message.body
    [(name, content, mimetype)] = message.attachments
    assert name.endswith(".pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert run.changes == {"first_run": True}
    assert str(run.snapshot["failure_modes"]) and run.snapshot["findings"] is not None


def test_the_next_firing_says_what_changed(schedule, demo):
    rollups.recompute_team(demo.pk)
    run_report_schedule_task(schedule.pk)
    worse = FailureMode.objects.filter(team=demo, action_priority="L").order_by("id").first()
    better = FailureMode.objects.filter(team=demo, action_priority="H").order_by("id").first()
    worse.severity, worse.probability, worse.detectability = 10, 10, 10
    worse.save()
    better.revised_severity, better.revised_probability, better.revised_detectability = 2, 2, 2
    better.save()
    action = Action.objects.filter(
        failure_mode__team=demo, status="open", due_date__gte=timezone.localdate()
    ).first()
    action.due_date = timezone.localdate() - timezone.timedelta(days=3)
    action.save()
    rollups.recompute_team(demo.pk)

    assert run_report_schedule_task(schedule.pk) == "emailed"
    assert len(mail.outbox) == 2
    body = mail.outbox[1].body
    assert "Changes since the previous report" in body
    assert "New AP-High items: 1" in body and worse.mode in body
    assert "Improved (AP or RPN down): 1" in body and better.mode in body
    assert "Newly overdue actions: " in body and action.description in body
    assert "Findings opened: " in body
    latest = ReportRun.objects.filter(schedule=schedule).order_by("-id").first()
    assert latest.changes["counts"]["new_high"] == 1
    assert latest.changes["previous_run"]["id"] != latest.pk


def test_a_large_report_is_sent_as_a_link(schedule, settings):
    settings.REPORT_EMAIL_ATTACHMENT_MAX_BYTES = 100
    run_report_schedule_task(schedule.pk)
    run = ReportRun.objects.get(schedule=schedule)
    [message] = mail.outbox
    assert message.attachments == []
    assert f"{settings.REPORT_LINK_BASE_URL}/api/v1/reports/{run.pk}/download/" in message.body


def test_a_redelivered_firing_makes_no_second_run_or_email(schedule):
    assert schedules.fire(schedule.pk, task_id="firing-1") == "emailed"
    assert schedules.fire(schedule.pk, task_id="firing-1") == "already emailed"
    assert ReportRun.objects.filter(schedule=schedule).count() == 1
    assert len(mail.outbox) == 1


def test_an_email_that_could_not_be_sent_is_sent_on_retry(schedule, monkeypatch):
    from django.core.mail import EmailMessage

    real_send = EmailMessage.send

    def broken(self, fail_silently=False):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(EmailMessage, "send", broken)
    with pytest.raises(ConnectionRefusedError):
        schedules.fire(schedule.pk, task_id="firing-2")
    assert ReportRun.objects.get(task_id="firing-2").emailed_at is None
    monkeypatch.setattr(EmailMessage, "send", real_send)
    assert schedules.fire(schedule.pk, task_id="firing-2") == "emailed"
    assert len(mail.outbox) == 1


def test_a_disabled_or_deleted_schedule_sends_nothing(schedule):
    ReportSchedule.objects.filter(pk=schedule.pk).update(enabled=False)
    assert run_report_schedule_task(schedule.pk) == "disabled"
    assert run_report_schedule_task(999999) == "no such schedule"
    assert not ReportRun.objects.exists() and mail.outbox == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("crontab", "every monday", "Give five fields"),
        ("crontab", "61 7 * * 1", "Not a valid crontab"),
        ("recipients", "boss@example.com, not-an-address", "Not email addresses: not-an-address"),
        ("recipients", "  ", "Give at least one email address"),
    ],
)
def test_a_schedule_needs_a_crontab_and_email_addresses(demo, field, value, message):
    from django.core.exceptions import ValidationError

    schedule = ReportSchedule(
        team=demo, name="Bad", format="pdf", crontab="0 7 * * 1", recipients="a@example.com"
    )
    setattr(schedule, field, value)
    with pytest.raises(ValidationError) as caught:
        schedule.full_clean()
    assert message in str(caught.value)
