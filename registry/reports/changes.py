"""What changed since a schedule's previous run.

Each scheduled run stores a compact snapshot of its scope: per failure mode its RPN and
action priority (current and revised), the keys of the open findings, and the ids of
overdue actions. The next run compares its own snapshot with that one. A failure mode
is judged by its effective rating: the revised one when the team has re-rated it after
actions, else the current one.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from registry.choices import ActionPriority
from registry.models import Action, FailureMode
from registry.reports import data
from registry.reports.scope import Scope

PRIORITY_RANK = {ActionPriority.LOW: 1, ActionPriority.MEDIUM: 2, ActionPriority.HIGH: 3}
LIST_LIMIT = 50  # items listed per kind of change; the counts are always complete


def snapshot(scope: Scope) -> dict:
    """The compact state of the scope that the next run compares against."""
    rows = scope.failure_modes().values_list(
        "id", "rpn", "action_priority", "revised_rpn", "revised_action_priority"
    )
    return {
        "taken_at": timezone.now().isoformat(),
        "failure_modes": {
            str(pk): [rpn, ap, revised_rpn, revised_ap]
            for pk, rpn, ap, revised_rpn, revised_ap in rows.order_by().iterator(chunk_size=5000)
        },
        "findings": dict(data.findings(scope).values_list("key", "message").order_by()),
        "overdue_actions": sorted(
            Action.objects.filter(scope.condition("failure_mode__"))
            .overdue()
            .values_list("id", flat=True)
        ),
    }


def effective(values: list) -> tuple[int, str]:
    rpn, priority, revised_rpn, revised_priority = values
    if revised_rpn is not None:
        return revised_rpn, revised_priority
    return rpn, priority


def direction(before: tuple[int, str], after: tuple[int, str]) -> int:
    """+1 worse, -1 better, 0 the same: action priority first, then RPN."""
    rank_before, rank_after = PRIORITY_RANK[before[1]], PRIORITY_RANK[after[1]]
    if rank_after != rank_before:
        return 1 if rank_after > rank_before else -1
    if after[0] != before[0]:
        return 1 if after[0] > before[0] else -1
    return 0


def compare(previous: dict | None, current: dict, previous_run=None) -> dict:
    """The changes from `previous` (a snapshot, or None for a first run) to `current`."""
    if previous is None:
        return {"first_run": True}
    before_fms, after_fms = previous["failure_modes"], current["failure_modes"]
    new_high, worsened, improved = [], [], []
    for pk, values in after_fms.items():
        after = effective(values)
        old = before_fms.get(pk)
        before = effective(old) if old is not None else None
        if after[1] == ActionPriority.HIGH and (
            before is None or before[1] != ActionPriority.HIGH
        ):
            new_high.append((pk, before, after))
            continue
        if before is None:
            continue
        moved = direction(before, after)
        if moved > 0:
            worsened.append((pk, before, after))
        elif moved < 0:
            improved.append((pk, before, after))
    labels = failure_mode_labels(
        int(pk)
        for pk, _, _ in [*new_high[:LIST_LIMIT], *worsened[:LIST_LIMIT], *improved[:LIST_LIMIT]]
    )

    def listed(items: list) -> list[dict]:
        items = sorted(items, key=lambda item: (-PRIORITY_RANK[item[2][1]], -item[2][0]))
        return [
            {
                "id": int(pk),
                "label": labels.get(int(pk), f"Failure mode #{pk}"),
                "before": {"rpn": before[0], "ap": before[1]} if before else None,
                "after": {"rpn": after[0], "ap": after[1]},
            }
            for pk, before, after in items[:LIST_LIMIT]
        ]

    previous_overdue = set(previous["overdue_actions"])
    newly_overdue_ids = [pk for pk in current["overdue_actions"] if pk not in previous_overdue]
    opened = sorted(set(current["findings"]) - set(previous["findings"]))
    resolved = sorted(set(previous["findings"]) - set(current["findings"]))
    return {
        "first_run": False,
        "previous_run": (
            {"id": previous_run.pk, "created_at": previous_run.created_at.isoformat()}
            if previous_run is not None
            else None
        ),
        "since": previous.get("taken_at"),
        "counts": {
            "new_high": len(new_high),
            "worsened": len(worsened),
            "improved": len(improved),
            "newly_overdue": len(newly_overdue_ids),
            "findings_opened": len(opened),
            "findings_resolved": len(resolved),
            "added": len(set(after_fms) - set(before_fms)),
            "removed": len(set(before_fms) - set(after_fms)),
        },
        "new_high": listed(new_high),
        "worsened": listed(worsened),
        "improved": listed(improved),
        "newly_overdue": overdue_details(newly_overdue_ids[:LIST_LIMIT]),
        "findings_opened": [
            {"key": key, "message": current["findings"][key]} for key in opened[:LIST_LIMIT]
        ],
        "findings_resolved": [
            {"key": key, "message": previous["findings"][key]} for key in resolved[:LIST_LIMIT]
        ],
    }


def failure_mode_labels(ids) -> dict[int, str]:
    rows = FailureMode.objects.filter(pk__in=list(ids)).values_list(
        "id", "mode", "step__name", "step__application__name"
    )
    return {pk: f"{mode} ({application} / {step})" for pk, mode, step, application in rows}


def overdue_details(ids: list[int]) -> list[dict]:
    rows = (
        Action.objects.filter(pk__in=ids)
        .annotate(mode=F("failure_mode__mode"))
        .in_due_order()
        .values("id", "description", "owner", "due_date", "mode")
    )
    return [
        {
            "id": row["id"],
            "description": row["description"],
            "owner": row["owner"],
            "due_date": row["due_date"].isoformat() if row["due_date"] else None,
            "failure_mode": row["mode"],
        }
        for row in rows
    ]


def summary_lines(changes: dict | None) -> list[str]:
    """The changes as plain-text lines, for the email and the report's first page."""
    if not changes:
        return []
    if changes.get("first_run"):
        return ["This is the schedule's first report: there is no earlier run to compare with."]
    counts = changes["counts"]
    since = changes.get("since", "")[:16].replace("T", " ")
    lines = [f"Changes since the previous report ({since} UTC):"]
    if not any(counts[name] for name in counts if name not in ("added", "removed")):
        lines.append("  No changes in action priority, RPN, overdue actions or findings.")

    def ap_rpn(values: dict | None) -> str:
        return f"AP {values['ap']}, RPN {values['rpn']}" if values else "new"

    sections = [
        ("new_high", "New AP-High items"),
        ("worsened", "Worsened (AP or RPN up)"),
        ("improved", "Improved (AP or RPN down)"),
    ]
    for name, title in sections:
        if counts[name]:
            lines.append(f"{title}: {counts[name]}")
            lines.extend(
                f"  - {item['label']}: {ap_rpn(item['before'])} → {ap_rpn(item['after'])}"
                for item in changes[name]
            )
    if counts["newly_overdue"]:
        lines.append(f"Newly overdue actions: {counts['newly_overdue']}")
        lines.extend(
            f"  - {item['description']} (owner {item['owner'] or 'unassigned'}, due "
            f"{item['due_date']}; {item['failure_mode']})"
            for item in changes["newly_overdue"]
        )
    for name, title in (
        ("findings_opened", "Findings opened"),
        ("findings_resolved", "Findings resolved"),
    ):
        if counts[name]:
            lines.append(f"{title}: {counts[name]}")
            lines.extend(f"  - {item['message']}" for item in changes[name])
    if counts["added"] or counts["removed"]:
        lines.append(
            f"Failure modes new in scope: {counts['added']}; no longer in scope or deleted: "
            f"{counts['removed']}."
        )
    return lines
