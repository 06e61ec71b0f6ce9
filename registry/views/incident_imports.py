"""The incident import page: upload a CSV or XLSX of past incidents, see every problem
with its row and column or what would be recorded (a dry run, the default), then
confirm. The same all-or-nothing service as the API (`registry.imports.incidents`).

A checked file waits for its confirmation in storage under a generated name (never the
client's file name), named in the user's session, and is deleted once imported.
"""

from __future__ import annotations

import uuid

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse

from registry.imports import checked
from registry.imports.incidents import OPTIONAL, REQUIRED, import_incidents
from registry.imports.jobs import display_name
from registry.imports.reading import Refused, check_size
from registry.imports.service import ImportResult, failed
from registry.imports.validation import Problem
from registry.views.base import WriteView
from registry.views.imports import UploadForm

#: The session's checked uploads waiting for confirmation: {token: [team, path, name]}.
PENDING = "incident_imports"


class IncidentUploadForm(UploadForm):
    """The worksheet page's upload, in words about incidents."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].label = "Incidents file"
        self.fields[
            "file"
        ].help_text = "CSV (UTF-8) or XLSX, one incident a row; the columns are listed below."
        self.fields["dry_run"].label = "Dry run: only check, and say what would be recorded"


class IncidentImportView(WriteView):
    section = "incidents"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(IncidentUploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if "confirm" in request.POST:
            return self.confirm(request, request.POST["confirm"])
        form = IncidentUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.page(form, status=422)
        upload, dry_run = form.cleaned_data["file"], form.cleaned_data["dry_run"]
        try:
            check_size(upload.size)
        except Refused as exc:
            return self.outcome(failed([Problem(None, None, str(exc))], dry_run), upload.name)
        data = upload.read()
        result = import_incidents(team=self.team, user=request.user, data=data, dry_run=dry_run)
        token = self.keep(request, data, upload.name) if dry_run and result.ok else ""
        return self.outcome(result, upload.name, token)

    def keep(self, request: HttpRequest, data: bytes, name: str) -> str:
        """Store a checked file until it is confirmed; the token names it."""
        path = checked.keep(data)
        token = uuid.uuid4().hex
        request.session[PENDING] = {
            **request.session.get(PENDING, {}),
            token: [self.team.pk, path, display_name(name)],
        }
        return token

    def confirm(self, request: HttpRequest, token: str) -> HttpResponse:
        pending = request.session.get(PENDING, {})
        team_id, path, name = pending.get(token, (None, "", ""))
        if team_id != self.team.pk or not default_storage.exists(path):
            problem = Problem(None, None, "That check has expired: upload the file again.")
            return self.outcome(failed([problem], False), name, status=409)
        with default_storage.open(path, "rb") as stored:
            data = stored.read()
        result = import_incidents(team=self.team, user=request.user, data=data)
        if result.ok:
            default_storage.delete(path)
            del pending[token]
            request.session[PENDING] = pending
        return self.outcome(result, name)

    def outcome(
        self, result: ImportResult, name: str, token: str = "", status: int | None = None
    ) -> HttpResponse:
        context = {"result": result, "source_name": display_name(name), "token": token}
        return self.page(
            IncidentUploadForm(), context, status=status or (200 if result.ok else 422)
        )

    def page(self, form, extra: dict | None = None, status: int = 200) -> HttpResponse:
        return self.render(
            "registry/incidents/import.html",
            {"form": form, "required": REQUIRED, "optional": OPTIONAL, **(extra or {})},
            status=status,
        )
