"""The report writers, one module per format, each with `write(context, out, progress)`
returning the number of failure modes written, and the file's CONTENT_TYPE."""

from __future__ import annotations

from types import ModuleType

from registry.models import ReportFormat
from registry.reports.writers import csv, pdf, xlsx

WRITERS: dict[str, ModuleType] = {
    ReportFormat.CSV: csv,
    ReportFormat.XLSX: xlsx,
    ReportFormat.PDF: pdf,
}
CONTENT_TYPES = {format: writer.CONTENT_TYPE for format, writer in WRITERS.items()}
