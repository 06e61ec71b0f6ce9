"""Template tags that draw the register's SVG charts (registry.reports.charts) for a page."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from registry.reports import charts

register = template.Library()

# The chart functions escape every text they draw, so their SVG is safe to include.


@register.simple_tag
def heat_map_chart(counts: dict, rows: str = "severity", columns: str = "probability") -> str:
    base = reverse("registry:failure_modes")
    return mark_safe(
        charts.heat_map(
            counts,
            href=lambda row, column: f"{base}?{rows}={row}&{columns}={column}",
            rows=rows.capitalize(),
            columns=columns.capitalize(),
        )
    )


@register.simple_tag
def pareto_chart(items: list) -> str:
    return mark_safe(
        charts.pareto(
            [
                (
                    f"{item.mode} ({item.application} / {item.step})",
                    item.rpn,
                    item.cumulative_share,
                )
                for item in items
            ],
            href=lambda index: reverse("registry:failure_mode", args=[items[index].id]),
        )
    )


@register.simple_tag
def rpn_chart(points: list, threshold: int | None = None) -> str:
    return mark_safe(charts.step_line(points, end=timezone.now(), threshold=threshold))
