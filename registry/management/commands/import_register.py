import json

from django.core.management.base import BaseCommand, CommandError

from registry.services.backup import RestoreError, import_register


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
            restored = import_register(document, name=name, slug=slug)
        except RestoreError as exc:
            raise CommandError(f"Nothing was restored. {exc}") from exc
        counts = restored.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the register as team {restored.team.slug!r}: "
                f"{counts.get('applications', 0)} applications, "
                f"{counts.get('failure_modes', 0)} failure modes, "
                f"{counts.get('actions', 0)} actions, "
                f"{counts.get('memberships', 0)} memberships, "
                f"{counts.get('report_schedules', 0)} report schedules."
            )
        )
        if restored.skipped_memberships:
            self.stdout.write(
                self.style.WARNING(
                    "Memberships not restored, their users are not in this database: "
                    f"{', '.join(restored.skipped_memberships)}."
                )
            )
        if restored.missing_users:
            self.stdout.write(
                self.style.WARNING(
                    "References to users not in this database were left blank: "
                    f"{', '.join(sorted(restored.missing_users))}."
                )
            )
        if restored.disabled_schedules:
            self.stdout.write(
                self.style.WARNING(
                    "Report schedules restored disabled (enable them on the Reports page "
                    f"when wanted): {', '.join(restored.disabled_schedules)}."
                )
            )
