"""Which of a step's recovery objectives are looser than its tier's: one comparison for
the model's validation (the step's own values) and the findings (its effective ones)."""

from __future__ import annotations

from decimal import Decimal

Number = int | float | Decimal


def looser_objectives(
    own: tuple[int | None, int | None, Number | None], tier: tuple[int, int, Number]
) -> list[str]:
    """Names of the objectives (`rto`, `rpo`, `availability`) where `own` is looser than
    `tier`: a longer RTO or RPO, a lower availability. None is "as the tier"."""
    rto, rpo, availability = own
    tier_rto, tier_rpo, tier_availability = tier
    looser = []
    if rto is not None and rto > tier_rto:
        looser.append("rto")
    if rpo is not None and rpo > tier_rpo:
        looser.append("rpo")
    if availability is not None and Decimal(str(availability)) < Decimal(str(tier_availability)):
        looser.append("availability")
    return looser
