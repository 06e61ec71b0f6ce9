import json
import sys

from django.core.management.base import BaseCommand, CommandError

from registry.models import Team
from registry.services.backup import export_register


class Command(BaseCommand):
    help = "Write one team's whole register, with its history, as one JSON document."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--team", required=True, help="The team's slug.")
        parser.add_argument("--output", "-o", help="File to write (default: standard output).")

    def handle(self, *args, team: str, output: str | None = None, **options) -> None:
        try:
            team_obj = Team.objects.get(slug=team)
        except Team.DoesNotExist as exc:
            raise CommandError(f"No team with slug {team!r}.") from exc
        document = export_register(team_obj)
        if output:
            with open(output, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=1)
            self.stderr.write(
                f"Wrote the register of {team_obj} to {output}: "
                f"{len(document['applications'])} applications, "
                f"{len(document['failure_modes'])} failure modes, "
                f"{len(document['memberships'])} memberships, "
                f"{len(document['report_schedules'])} report schedules."
            )
        else:
            json.dump(document, sys.stdout, indent=1)
