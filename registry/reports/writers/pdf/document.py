"""The PDF document: page template, "Page n of N" footers, a "(continued)" line on pages
a long table runs on to, and the progress of the build."""

from __future__ import annotations

from typing import BinaryIO

from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate, Paragraph, Table
from reportlab.platypus.doctemplate import ActionFlowable

from registry.reports.context import Progress, ReportContext
from registry.reports.writers.pdf.theme import LINE, MARGIN, MUTED, fonts, page_size, styles


class RowsDone(Flowable):
    """An invisible marker after a worksheet table: lets the build report progress."""

    def __init__(self, rows: int) -> None:
        super().__init__()
        self.rows = rows

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self) -> None:
        return


def heading(text: str, style: str, label: str) -> Paragraph:
    """A heading that names the section for the pages a long table continues on."""
    paragraph = Paragraph(text, styles()[style])
    paragraph.section_label = label
    return paragraph


def footer_canvas(footer: str):
    """A canvas that numbers its pages "Page n of N" and draws the footer on each."""
    regular, _ = fonts()

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._draw_footer(total)
                super().showPage()
            super().save()

        def _draw_footer(self, total: int) -> None:
            width, _ = self._pagesize
            self.saveState()
            self.setStrokeColor(LINE)
            self.setLineWidth(0.5)
            self.line(MARGIN, MARGIN - 2 * mm, width - MARGIN, MARGIN - 2 * mm)
            self.setFont(regular, 7.5)
            self.setFillColor(MUTED)
            self.drawString(MARGIN, MARGIN - 6 * mm, footer)
            self.drawRightString(
                width - MARGIN, MARGIN - 6 * mm, f"Page {self._pageNumber} of {total}"
            )
            self.restoreState()

    return NumberedCanvas


class ReportDocument(BaseDocTemplate):
    def __init__(self, out: BinaryIO, context: ReportContext, progress: Progress) -> None:
        super().__init__(
            out,
            pagesize=page_size(),
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=MARGIN,
            bottomMargin=MARGIN + 4 * mm,
            title=f"FMEA risk report: {context.team.name}",
            author="FMEA risk register",
            subject=f"Generated {context.stamp}",
        )
        frame = Frame(
            self.leftMargin, self.bottomMargin, self.width, self.height, id="body", showBoundary=0
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        self.progress = progress
        self.rows_done = 0
        self.section = ""
        self.fresh_page = False

    def beforePage(self) -> None:
        self.fresh_page = True

    def afterFlowable(self, flowable) -> None:
        if self.fresh_page and not isinstance(flowable, ActionFlowable):
            self.fresh_page = False
            if isinstance(flowable, Table) and self.section:
                # The page goes on with a table from the page before: say whose it is.
                self.continued(self.section)
        label = getattr(flowable, "section_label", None)
        if label:
            self.section = label
        if isinstance(flowable, RowsDone):
            self.rows_done += flowable.rows
            self.progress(self.rows_done)

    def continued(self, label: str) -> None:
        regular, _ = fonts()
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            self.leftMargin, self.pagesize[1] - MARGIN + 3 * mm, f"{label} (continued)"
        )
        canvas.restoreState()
