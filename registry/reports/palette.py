"""The colours of reports and charts, once: the PDF, the XLSX workbook and the SVG charts
(web pages and PDF) take them from here. Hex strings, "#rrggbb"; the page's own
stylesheet (static/registry/site.css) names the same ink, muted, line and soft colours.

Colour is never the only signal: every coloured cell or mark also carries its text.
"""

from __future__ import annotations

from registry.choices import ActionPriority, FindingSeverity

INK = "#1f2328"
MUTED = "#57606a"
LINE = "#d0d7de"  # table rules, chart grid lines
SOFT = "#f6f8fa"  # alternate table rows, empty heat-map cells
WHITE = "#ffffff"
HEADER = "#dde3ea"  # table header rows

# (fill, ink) of a cell showing an action priority; the letter is in the cell too.
ACTION_PRIORITY = {
    ActionPriority.HIGH: ("#f8d0cc", "#8a1c10"),
    ActionPriority.MEDIUM: ("#fde9b5", "#7a4b00"),
    ActionPriority.LOW: ("#d8f0dc", "#1a5c2a"),
}

# (fill, ink) of a cell showing a finding's severity (the XLSX Findings sheet).
FINDING_SEVERITY = {
    FindingSeverity.CRITICAL: ("#f8d0cc", "#8a1c10"),
    FindingSeverity.HIGH: ("#fce1cf", "#8a3a10"),
    FindingSeverity.MEDIUM: ("#fde9b5", "#7a4b00"),
    FindingSeverity.LOW: ("#eef1f4", INK),
}
# Ink of a finding's severity written as bold text on white (the PDF's tables).
FINDING_SEVERITY_TEXT = {
    FindingSeverity.CRITICAL: "#8a1c10",
    FindingSeverity.HIGH: "#b8451f",
    FindingSeverity.MEDIUM: "#7a4b00",
    FindingSeverity.LOW: MUTED,
}

# Charts: a sequential scale for heat-map counts, light to dark (text turns white on the
# two darkest); bars; the trend or cumulative line; the revised RPN line.
HEAT_COLOURS = ("#fff3c4", "#fdd98b", "#f9b35f", "#ee8a3c", "#c4412b", "#8a1c10")
HEAT_DARK_FROM = 4
BAR = "#2f6fb3"
TREND = "#b8451f"
REVISED = "#1a7f37"


# (fill, ink) of a recovery figure that meets its objective (True) or misses it (False).
RECOVERY = {True: ("#d8f0dc", "#1a5c2a"), False: ("#f8d0cc", "#8a1c10")}
