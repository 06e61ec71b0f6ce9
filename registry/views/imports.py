"""The worksheet import page: upload a CSV or XLSX (optionally a dry run), then see
what was created or every problem with its row and column. Large files are imported in
the background; the page polls the import's progress with htmx.

Importing writes to the register, so it is for editors and owners.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from registry.imports import jobs
from registry.imports.columns import INFORMATIVE, OPTIONAL, REQUIRED
from registry.imports.tasks import queue_import
from registry.jobs import QueueUnavailable
from registry.models import WorksheetImport
from registry.services.reference_data import DATA_DIR
from registry.views.base import TeamView, WriteView

IMPORTS_SHOWN = 20
#: A worksheet for a new application ("Customer accounts"), so that a first import into
#: the demo team (or any team) succeeds: the shipped sample's rows are the demo's own.
SAMPLE_WORKSHEET = "demo_import_worksheet.csv"


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Worksheet file",
        help_text="CSV (UTF-8) or XLSX, in the sample worksheet's (below) or the export's layout.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )
    dry_run = forms.BooleanField(
        label="Dry run: only check, and say what would be created",
        required=False,
        initial=True,
    )


class ImportView(WriteView):
    section = "imports"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(UploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(form, status=422)
        upload = form.cleaned_data["file"]
        job = jobs.start_import(
            team=self.team,
            user=request.user,
            upload=upload,
            source_name=upload.name,
            dry_run=form.cleaned_data["dry_run"],
        )
        try:
            queue_import(job)
        except QueueUnavailable as error:
            messages.error(request, f"The import — {error}")
        return HttpResponseRedirect(reverse("registry:import", args=[job.pk]))

    def page(self, form: UploadForm, status: int = 200) -> HttpResponse:
        recent = WorksheetImport.objects.for_team(self.team.pk).select_related("requested_by")
        return self.render(
            "registry/imports/page.html",
            {
                "form": form,
                "imports": recent.order_by("-created_at", "-id")[:IMPORTS_SHOWN],
                "required": REQUIRED,
                "optional": OPTIONAL,
                "informative": INFORMATIVE,
            },
            status=status,
        )


class ImportDetailView(TeamView):
    """An import's outcome; `?fragment=1` answers only the status block (htmx polling)."""

    section = "imports"

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = self.get_visible(WorksheetImport.objects.select_related("requested_by"), pk=pk)
        template = (
            "registry/imports/_status.html"
            if request.GET.get("fragment")
            else "registry/imports/detail.html"
        )
        return self.render(template, {"job": job})


class SampleWorksheetView(TeamView):
    """The sample worksheet, to see the layout and to try a first import."""

    def get(self, request: HttpRequest) -> FileResponse:
        return FileResponse(
            (DATA_DIR / SAMPLE_WORKSHEET).open("rb"),
            as_attachment=True,
            filename="sample-worksheet.csv",
            content_type="text/csv; charset=utf-8",
        )
