from django.core.management.base import BaseCommand

from registry.services.reference_data import load_reference_data


class Command(BaseCommand):
    help = (
        "Load the shipped tiers, DR strategies, regions, rating scales and failure-mode "
        "library. Adds what is missing; never overwrites edits unless --reset is given."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reset", action="store_true", help="Restore the shipped values of every row."
        )

    def handle(self, *args, reset: bool = False, **options) -> None:
        created = load_reference_data(reset=reset)
        summary = ", ".join(f"{count} {name}" for name, count in created.items())
        verb = "Restored; created" if reset else "Created"
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"Reference data loaded. {verb}: {summary}."))
