import json

from django.core.management.base import BaseCommand, CommandError

from registry.register_backup import RestoreError, import_register


class Command(BaseCommand):
    help = (
        "Restore a team's register from an export_register document, as a new team; "
        "all or nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="The JSON document.")
        parser.add_argument("--name", help="Restore under this team name.")
        parser.add_argument("--slug", help="Restore under this team slug.")

    def handle(self, *args, file: str, name=None, slug=None, **options) -> None:
        try:
            with open(file, encoding="utf-8") as handle:
                document = json.load(handle)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            team = import_register(document, name=name, slug=slug)
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Restored the register as team {team.slug!r}."))
