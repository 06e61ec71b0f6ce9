"""A small register whose figures are worked out by hand, for the tests that check the
dashboard, the reports and the API read the same figures.

Team A (tier thresholds from the reference data: tier 1 acts above RPN 100, tier 3
above 200):

  tier 1, "Payments" / "Pay"
    9 x 5 x 4 = 180, AP H, open        actions: open, due 2000-01-01 (overdue)
                                                done, due 2000-01-01 (not overdue)
    10 x 3 x 8 = 240, AP H, closed
    7 x 4 x 2 = 56, AP M, mitigating    actions: open, due 2999-01-01
                                                in progress, due 2001-01-01 (overdue)
  tier 3, "Reporting" / "Export"
    5 x 5 x 5 = 125, AP L, open
    3 x 6 x 7 = 126, AP L, accepted

Tier 1: 3 failure modes, 2 open (open, mitigating), RPN max 240, sum 476, mean 158.67,
2 over 100 (180, 240), AP H 2 / M 1 / L 0, 3 open actions, 2 overdue.
Tier 3: 2 failure modes, 1 open, RPN max 126, sum 251, mean 125.5, none over 200,
AP L 2, no actions. Tiers 2 and 4: nothing.
Team B has one failure mode (RPN 1000) that must never count for team A.
"""

import datetime
from types import SimpleNamespace

from registry.models import DrStrategy, Tier
from registry.services.reference_data import load_reference_data
from tests.factories import ActionFactory, ApplicationFactory, FailureModeFactory, StepFactory

PAST = datetime.date(2000, 1, 1)


def build(team_a, team_b) -> SimpleNamespace:
    load_reference_data()
    tier_1, tier_3 = Tier.objects.get(level=1), Tier.objects.get(level=3)
    strategy = DrStrategy.objects.get(code="warm_standby")
    payments = ApplicationFactory(team=team_a, name="Payments", tier=tier_1, dr_strategy=strategy)
    reporting = ApplicationFactory(
        team=team_a, name="Reporting", tier=tier_3, dr_strategy=strategy
    )
    pay = StepFactory(application=payments, order=1, name="Pay")
    export = StepFactory(application=reporting, order=1, name="Export")

    def failure_mode(step, mode, ratings, status):
        severity, probability, detectability = ratings
        return FailureModeFactory(
            step=step,
            mode=mode,
            severity=severity,
            probability=probability,
            detectability=detectability,
            status=status,
        )

    card_declined = failure_mode(pay, "Card declined", (9, 5, 4), "open")
    failure_mode(pay, "Ledger lost", (10, 3, 8), "closed")
    slow_gateway = failure_mode(pay, "Slow gateway", (7, 4, 2), "mitigating")
    failure_mode(export, "Export empty", (5, 5, 5), "open")
    failure_mode(export, "Export late", (3, 6, 7), "accepted")
    ActionFactory(failure_mode=card_declined, due_date=PAST, status="open")
    ActionFactory(
        failure_mode=card_declined,
        due_date=PAST,
        status="done",
        completed_at=datetime.datetime(2000, 1, 2, tzinfo=datetime.UTC),
    )
    ActionFactory(failure_mode=slow_gateway, due_date=datetime.date(2999, 1, 1), status="open")
    ActionFactory(
        failure_mode=slow_gateway, due_date=datetime.date(2001, 1, 1), status="in_progress"
    )

    b_app = ApplicationFactory(team=team_b, name="Secret B", tier=tier_1, dr_strategy=strategy)
    b_step = StepFactory(application=b_app, order=1, name="Secret B step")
    failure_mode(b_step, "Secret B failure", (10, 10, 10), "open")
    return SimpleNamespace(
        team=team_a, payments=payments, reporting=reporting, pay=pay, export=export
    )


#: The figures above, per tier level, by their RiskFigures names.
EXPECTED = {
    1: {
        "failure_mode_count": 3,
        "open_count": 2,
        "rpn_max": 240,
        "rpn_sum": 476,
        "over_threshold_count": 2,
        "ap_high_count": 2,
        "ap_medium_count": 1,
        "ap_low_count": 0,
        "open_action_count": 3,
        "overdue_action_count": 2,
    },
    2: {"failure_mode_count": 0, "open_count": 0, "rpn_max": None, "rpn_sum": 0},
    3: {
        "failure_mode_count": 2,
        "open_count": 1,
        "rpn_max": 126,
        "rpn_sum": 251,
        "over_threshold_count": 0,
        "ap_high_count": 0,
        "ap_medium_count": 0,
        "ap_low_count": 2,
        "open_action_count": 0,
        "overdue_action_count": 0,
    },
    4: {"failure_mode_count": 0, "open_count": 0, "rpn_max": None, "rpn_sum": 0},
}
EXPECTED_MEAN = {1: 476 / 3, 2: None, 3: 125.5, 4: None}
