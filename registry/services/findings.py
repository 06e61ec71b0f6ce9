"""Setting a finding aside (a suppression) and bringing it back."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from registry.choices import SuppressionEnd
from registry.models import Finding, FindingSuppression


@transaction.atomic
def suppress_finding(
    finding: Finding, *, user, status: str, reason: str, expires_on: datetime.date | None
) -> FindingSuppression:
    """Record a decision to set `finding` aside until `expires_on`; the finding's
    current figures are kept as its fingerprint (a change brings it back)."""
    suppression = FindingSuppression(
        team_id=finding.team_id,
        finding=finding,
        key=finding.key,
        kind=finding.kind,
        message=finding.message,
        details=finding.details,
        status=status,
        reason=reason,
        expires_on=expires_on,
        created_by=user,
    )
    suppression.full_clean(exclude=["finding"])
    if FindingSuppression.objects.filter(finding=finding, ended_at__isnull=True).exists():
        raise ValidationError({"finding": "This finding is already suppressed."})
    try:
        with transaction.atomic():
            suppression.save()
    except IntegrityError as exc:  # a concurrent suppression of the same finding won
        raise ValidationError({"finding": "This finding is already suppressed."}) from exc
    return suppression


@transaction.atomic
def unsuppress_finding(finding: Finding, *, user) -> int:
    """Lift the finding's suppression by hand; returns how many were lifted (0 or 1)."""
    lifted = FindingSuppression.objects.filter(finding=finding, ended_at__isnull=True)
    suppressions = list(lifted)
    for suppression in suppressions:
        suppression.ended_at = timezone.now()
        suppression.ended_by = user
        suppression.end_reason = SuppressionEnd.LIFTED
        # save(), not update(): the team's counts are recomputed (a watched model).
        suppression.save(update_fields=["ended_at", "ended_by", "end_reason"])
    return len(suppressions)
