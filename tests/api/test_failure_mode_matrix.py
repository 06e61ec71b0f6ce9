"""Failure modes and actions answer the same permission matrix as every other register
resource: members read, owners and editors write, viewers get 403, another team 404 (or
a 400 that reveals nothing), anonymous callers 401, and a refused request changes
nothing."""

import datetime

import pytest

from registry.models import Action, FailureMode
from tests.api.matrix import PermissionMatrix, Resource
from tests.factories import ActionFactory, ApplicationFactory, FailureModeFactory, StepFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("reference_data")]


def step_of(team):
    return StepFactory(application=ApplicationFactory(team=team))


class FailureModes(Resource):
    name = "failure-modes"
    path = "/api/v1/failure-modes/"
    model = FailureMode
    reference = "step"
    # Its team follows its step: moving it would leave its component and actions in
    # the old team.
    moved_message = "Choose one of your team's own steps."

    def make(self, team):
        return FailureModeFactory(step=step_of(team), mode="Orders DB unreachable")

    def payload(self, team) -> dict:
        return {
            "step": step_of(team).pk,
            "mode": "Card processor times out",
            "effect": "Customers cannot pay",
            "cause": "Processor overloaded",
            "failure_category": "excessive_latency",
            "severity": 8,
            "probability": 4,
            "detectability": 3,
        }

    def change(self) -> dict:
        return {"status": "mitigating", "severity": 9}

    def moved_to(self, team) -> dict:
        return {"step": step_of(team).pk}

    def replacement(self, team) -> dict:
        return {**self.payload(team), "mode": "Card processor refuses every card"}

    def assert_replaced(self, row, body: dict) -> None:
        assert row.mode == body["mode"]


class Actions(Resource):
    name = "actions"
    path = "/api/v1/actions/"
    model = Action
    reference = "failure_mode"
    # Nothing hangs off an action: a member of both teams may link it to the other
    # team's failure mode.
    movable = False

    def make(self, team):
        return ActionFactory(failure_mode=FailureModeFactory(step=step_of(team)))

    def payload(self, team) -> dict:
        return {
            "failure_mode": FailureModeFactory(step=step_of(team)).pk,
            "description": "Add a second processor",
            "owner": "alice",
            # A due date ahead of today: past ones are refused on create.
            "due_date": (datetime.date.today() + datetime.timedelta(days=90)).isoformat(),
            "status": "open",
        }

    def change(self) -> dict:
        return {"status": "in_progress", "owner": "bob"}

    def replacement(self, team) -> dict:
        return {**self.payload(team), "description": "Fail over to the second processor"}

    def assert_replaced(self, row, body: dict) -> None:
        assert row.description == body["description"]


class TestPermissionMatrix(PermissionMatrix):
    resources = (FailureModes(), Actions())
