from django.core.management import call_command
from django.core.management.base import BaseCommand

from registry.services.demo import DEMO_PASSWORD, DEMO_USERNAME, seed_demo


class Command(BaseCommand):
    help = "Create the demo team, its login and the sample register. Safe to run again."

    def handle(self, *args, **options) -> None:
        call_command("load_reference_data", verbosity=0)
        team = seed_demo()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo team '{team.name}' ready: {team.applications.count()} applications, "
                f"{team.failure_modes.count()} failure modes. "
                f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}."
            )
        )
