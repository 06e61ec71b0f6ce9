"""Baselines: freezing an application's FMEA, approving it, and what changed since.

A snapshot is one JSON document: the application, its steps, and its failure modes
with every rating, control, status and action, as `snapshot()` reads them in three
queries. `diff()` compares two snapshots (or a snapshot and `snapshot()` of now) by
failure-mode id.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from registry.choices import Role
from registry.models import Action, Application, Baseline, FailureMode, Membership, Step
from registry.models.teams import is_team_owner

#: A failure mode's columns in a snapshot; a change to any of them is a change.
SNAPSHOT_FIELDS = (
    "mode",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "severity",
    "probability",
    "detectability",
    "rpn",
    "action_priority",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "revised_rpn",
    "revised_action_priority",
)
#: What a diff shows before → after for every row, changed or not.
FIGURES = ("severity", "probability", "detectability", "rpn", "action_priority")
COMPARED = ("step_name", "component_name", *SNAPSHOT_FIELDS, "actions")


def plain(value):
    return value.isoformat() if isinstance(value, datetime.date | datetime.datetime) else value


def snapshot(application: Application) -> dict:
    """The application's steps, failure modes and their actions, as JSON-ready data."""
    steps = list(
        Step.objects.filter(application=application)
        .order_by("order", "id")
        .values("id", "order", "name")
    )
    actions: dict[int, list[dict]] = {}
    for action in (
        Action.objects.filter(failure_mode__step__application=application)
        .in_due_order()
        .values("id", "failure_mode_id", "description", "owner", "due_date", "status")
    ):
        row = {name: plain(value) for name, value in action.items()}
        actions.setdefault(row.pop("failure_mode_id"), []).append(row)
    failure_modes = [
        {**row, "actions": actions.get(row["id"], [])}
        for row in FailureMode.objects.filter(step__application=application)
        .order_by("step__order", "-rpn", "id")
        .values(
            "id", *SNAPSHOT_FIELDS, step_name=F("step__name"), component_name=F("component__name")
        )
    ]
    return {
        "application": {"id": application.pk, "name": application.name},
        "steps": steps,
        "failure_modes": failure_modes,
    }


def freeze(*, application: Application, user, title: str, notes: str = "") -> Baseline:
    """Freeze the next revision of `application`'s FMEA (team owners only)."""
    if not is_team_owner(user, application.team_id):
        raise PermissionDenied("Only a team owner may freeze a baseline.")
    baseline = Baseline(
        team_id=application.team_id,
        application=application,
        title=title.strip(),
        notes=notes,
        created_by=user,
        number=1,
        snapshot={},
    )
    baseline.full_clean(exclude=["number", "snapshot"])
    with transaction.atomic():
        # Two owners freezing at once would take the same number: one waits.
        Application.objects.select_for_update().filter(pk=application.pk).first()
        latest = Baseline.objects.filter(application=application).aggregate(n=Max("number"))
        baseline.number = (latest["n"] or 0) + 1
        baseline.snapshot = snapshot(application)
        baseline.save()
    return baseline


def approve(baseline: Baseline, user) -> Baseline:
    """Record a team owner's approval; the creator may approve only as the sole owner."""
    if not is_team_owner(user, baseline.team_id):
        raise PermissionDenied("Only a team owner may approve a baseline.")
    if baseline.is_approved:
        raise ValidationError("This baseline is approved already.")
    if baseline.created_by_id == user.pk:
        others = (
            Membership.objects.filter(team_id=baseline.team_id, role=Role.OWNER)
            .exclude(user=user)
            .select_related("user")
        )
        names = [membership.user.get_username() for membership in others]
        if names:
            raise ValidationError(
                "You froze this baseline; another owner approves it: " + ", ".join(names) + "."
            )
    now = timezone.now()
    # Conditional, so that two approvals at once record one.
    if not Baseline.objects.filter(pk=baseline.pk, approved_at__isnull=True).update(
        approved_by=user, approved_at=now
    ):
        raise ValidationError("This baseline is approved already.")
    return Baseline.objects.select_related("approved_by", "created_by").get(pk=baseline.pk)


@dataclass
class Change:
    """One failure mode's row in a diff: figures before and after, and what changed."""

    id: int
    step: str
    mode: str
    kind: str  # added, removed, changed
    before: dict | None
    after: dict | None
    fields: list[str] = field(default_factory=list)

    def figures(self) -> list[tuple[str, object, object]]:
        """(name, before, after) of the ratings, RPN and AP."""
        before, after = self.before or {}, self.after or {}
        return [(name, before.get(name), after.get(name)) for name in FIGURES]

    @property
    def others(self) -> list[str]:
        """What else changed, in words: "prevention controls", "component", …"""
        return [
            name.removesuffix("_name").replace("_", " ")
            for name in self.fields
            if name not in FIGURES
        ]

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "step": self.step,
            "mode": self.mode,
            "kind": self.kind,
            "fields": self.fields,
            **{name: {"before": before, "after": after} for name, before, after in self.figures()},
        }


def diff(before: dict, after: dict) -> list[Change]:
    """The failure modes added, removed and changed from `before` to `after`, in the
    order of `after` (removed ones last)."""
    old = {row["id"]: row for row in before["failure_modes"]}
    new = {row["id"]: row for row in after["failure_modes"]}
    changes = []
    for pk, row in new.items():
        if pk not in old:
            changes.append(Change(pk, row["step_name"], row["mode"], "added", None, row))
            continue
        fields = [name for name in COMPARED if old[pk].get(name) != row.get(name)]
        if fields:
            changes.append(
                Change(pk, row["step_name"], row["mode"], "changed", old[pk], row, fields)
            )
    for pk, row in old.items():
        if pk not in new:
            changes.append(Change(pk, row["step_name"], row["mode"], "removed", row, None))
    return changes


@dataclass
class Comparison:
    """A diff between two states of one application's FMEA, the older first."""

    before: str  # "Rev 1"
    after: str  # "Rev 2", or "now"
    changes: list[Change]

    def counts(self) -> dict[str, int]:
        return {
            kind: sum(1 for change in self.changes if change.kind == kind)
            for kind in ("added", "removed", "changed")
        }


def compare(baseline: Baseline, other: str) -> Comparison:
    """`baseline` against `other`: "current" (the FMEA now) or the id of another
    baseline of the same application; the lower revision is the "before"."""
    if other == "current":
        return Comparison(
            f"Rev {baseline.number}",
            "now",
            diff(baseline.snapshot, snapshot(baseline.application)),
        )
    if not other.isdigit():
        raise ValidationError("Compare with another baseline's id, or “current”.")
    found = Baseline.objects.filter(pk=int(other), application_id=baseline.application_id).first()
    if found is None:
        raise ValidationError("No such baseline of this application.")
    older, newer = sorted((baseline, found), key=lambda b: b.number)
    return Comparison(
        f"Rev {older.number}", f"Rev {newer.number}", diff(older.snapshot, newer.snapshot)
    )
