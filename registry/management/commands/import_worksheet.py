import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registry.imports.service import import_worksheet
from registry.models import Team

BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on the terminal: checking, then writing, with rows and rate."""

    def __init__(self, stream, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.phase = ""

    def __call__(self, phase: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        finished = done >= total
        if now - self.last_draw < 0.1 and not finished and phase == self.phase:
            return
        if phase != self.phase:
            if self.phase:
                self.stream.write("\n")
            self.started = now  # the rate is of this phase
        self.phase, self.last_draw = phase, now
        share = done / total if total else 1.0
        filled = round(BAR_WIDTH * share)
        rate = done / max(now - self.started, 1e-3)
        self.stream.write(
            f"\r{phase:<8} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%} "
            f"{done:,}/{total:,} rows  {rate:,.0f} rows/s"
        )
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.phase:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import a worksheet (CSV or XLSX, in the sample worksheet's or the export's column "
        "layout) into a team: every row is checked first, and with any problem nothing is "
        "written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path of the CSV or XLSX file.")
        parser.add_argument("--team", required=True, help="Slug of the team to import into.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only check, and say what would be created."
        )
        parser.add_argument("--user", help="Username recorded as the author of the changes.")
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not draw the progress bar."
        )

    def handle(self, *args, **options) -> None:
        try:
            team = Team.objects.get(slug=options["team"])
        except Team.DoesNotExist as exc:
            raise CommandError(f"No team with the slug {options['team']!r}.") from exc
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']!r}.")
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc

        bar = ProgressBar(sys.stderr, enabled=not options["no_progress"] and sys.stderr.isatty())
        started = time.monotonic()
        result = import_worksheet(
            team=team, user=user, data=data, dry_run=options["dry_run"], progress=bar
        )
        bar.close()
        if not result.ok:
            for problem in result.problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(result.problems)} problem{'s' if len(result.problems) != 1 else ''} "
                "found; nothing was imported."
            )
        created = result.summary["created"]
        verb = "Would create" if result.dry_run else "Created"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {created['failure_modes']:,} failure modes, {created['actions']:,} "
                f"actions, {created['applications']} applications, {created['steps']} steps, "
                f"{created['components']} components and {created['business_functions']} "
                f"business functions in {team.name} "
                f"({time.monotonic() - started:.1f} s)."
            )
        )
