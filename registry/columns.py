"""The worksheet's columns, once: their names, headers and sources for the CSV export
(API and CSV report), the XLSX report, the PDF report and the worksheet import.

`key` is the export's CSV header and the name the import reads; `label` is the header
of the XLSX report and the PDF, and reads back on import as the same column (headers
are matched loosely, so "Failure mode" is `mode` and "AP" is `action_priority`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry.models import Application, Component

# The recovery inputs of a row's component and application, as (column, label, path
# from a failure mode): the models' own field names, prefixed.
RECOVERY_COLUMNS = (
    *(
        (
            f"component_{name}",
            "Component " + name.replace("_", " ").replace("pitr", "PITR"),
            f"component__{name}",
        )
        for name in Component.RECOVERY_FIELDS
    ),
    *(
        (
            f"application_{name}",
            "Application " + name.replace("_", " "),
            f"step__application__{name}",
        )
        for name in Application.RECOVERY_FIELDS
    ),
)
RECOVERY_KEYS = tuple(key for key, _, _ in RECOVERY_COLUMNS)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int = 10  # XLSX column width, in characters
    path: str = ""  # ORM path from a failure mode; blank: the failure mode's own `key`
    text: bool = False  # free text, which a spreadsheet could take for a formula
    row_key: str = ""  # key in `reports.data.worksheet_rows`' dicts; blank: `key`
    short: str = ""  # the PDF's narrow header; blank: `label`
    regions: bool = False  # `path` is a set of regions, written as their codes

    @property
    def source(self) -> str:
        return self.path or self.key

    @property
    def row(self) -> str:
        return self.row_key or self.key

    @property
    def heading(self) -> str:
        return self.short or self.label


COLUMNS = {
    column.key: column
    for column in (
        Column("id", "ID", 8),
        Column("version", "Version", 8),
        Column(
            "business_function",
            "Business function",
            24,
            path="step__application__business_function__name",
            text=True,
        ),
        Column("application", "Application", 24, path="step__application__name", text=True),
        Column("tier", "Tier", 6, path="step__application__tier__level"),
        Column("step_order", "Step order", 7, path="step__order"),
        Column("step", "Step", 22, path="step__name", text=True, row_key="step_name"),
        Column(
            "component",
            "Component",
            22,
            path="component__name",
            text=True,
            row_key="component_name",
        ),
        Column("component_kind", "Component kind", 13, path="component__kind"),
        Column("failure_category", "Failure category", 22),
        Column("mode", "Failure mode", 36, text=True),
        Column("effect", "Effect", 36, text=True),
        Column("cause", "Cause", 32, text=True),
        Column("prevention_controls", "Prevention controls", 30, text=True),
        Column("detection_controls", "Detection controls", 30, text=True),
        Column("severity", "Severity", 9, short="S"),
        Column("probability", "Probability", 11, short="P"),
        Column("detectability", "Detectability", 12, short="D"),
        Column("rpn", "RPN", 7),
        Column("action_priority", "AP", 5),
        Column("status", "Status", 11),
        Column("actions", "Actions", 40),
        Column("revised_severity", "Revised severity", 9),
        Column("revised_probability", "Revised probability", 11),
        Column("revised_detectability", "Revised detectability", 12),
        Column("revised_rpn", "Revised RPN", 8),
        Column("revised_action_priority", "Revised AP", 8),
        # The recovery inputs of the row's component and application
        # (registry.analysis.resilience.recovery); `regions` columns hold region codes
        # separated by spaces.
        *(
            Column(key, label, 12, path=path, regions=path.endswith("_regions"))
            for key, label, path in RECOVERY_COLUMNS
        ),
        # Read by the import only: one action per row.
        Column("action", "Action"),
        Column("action_owner", "Action owner"),
        Column("action_due", "Action due"),
    )
}

# The export (API and CSV report): one row per failure mode, its id and version first
# (what an import of the edited file updates, and which copy of the row it edited).
EXPORT = (
    "id",
    "version",
    "business_function",
    "application",
    "tier",
    "step_order",
    "step",
    "component",
    "component_kind",
    "failure_category",
    "mode",
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
    *RECOVERY_KEYS,
)

# The XLSX report's worksheet: the FMEA layout, left to right (each rating beside what
# it rates), the actions of a failure mode in one cell, its id last.
WORKSHEET = (
    "business_function",
    "application",
    "tier",
    "step_order",
    "step",
    "component",
    "component_kind",
    "failure_category",
    "mode",
    "effect",
    "severity",
    "cause",
    "prevention_controls",
    "probability",
    "detection_controls",
    "detectability",
    "rpn",
    "action_priority",
    "status",
    "actions",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "revised_rpn",
    "revised_action_priority",
    *RECOVERY_KEYS,
    "id",
    "version",
)

# The import: what a worksheet must have, may have, and what it may carry that the
# register computes (or that summarises several rows), read and ignored. A row with an
# `id` updates that failure mode, provided its `version` is still the stored one.
IMPORT_REQUIRED = (
    "business_function",
    "application",
    "tier",
    "step",
    "mode",
    "severity",
    "probability",
    "detectability",
)
IMPORT_OPTIONAL = (
    "id",
    "version",
    "step_order",
    "component",
    "component_kind",
    "failure_category",
    "effect",
    "cause",
    "prevention_controls",
    "detection_controls",
    "status",
    "revised_severity",
    "revised_probability",
    "revised_detectability",
    "action",
    "action_owner",
    "action_due",
    *RECOVERY_KEYS,
)
IMPORT_INFORMATIVE = (
    "rpn",
    "action_priority",
    "revised_rpn",
    "revised_action_priority",
    "actions",
)


def header_key(header) -> str:
    """A header as a name: lower case, words joined by "_" ("Step order": step_order)."""
    text = "" if header is None else str(header)
    return re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")
