"""The wiring of the webhooks: deliveries are queued once the transaction that wrote
them commits, and a failure mode whose current action priority changes is an event.

An interface module, connected in `RegistryConfig.ready()`.
"""

import logging

from django.db.models.signals import post_save

from registry import scoring
from registry.models import FailureMode
from registry.webhooks import events, tasks

logger = logging.getLogger(__name__)


def queue_deliveries(sender, delivery_ids: list[int], **kwargs) -> None:
    """One task per delivery; if the broker is down, the beat sweep queues them later."""
    for delivery_id in delivery_ids:
        try:
            tasks.deliver_webhook.apply_async(
                (delivery_id,), retry=True, retry_policy={"max_retries": 1, "interval_start": 0.2}
            )
        except Exception:  # the broker may be down: the sweep sends them later
            logger.warning("Could not queue webhook delivery %s", delivery_id, exc_info=True)


def priority_changed(sender, instance: FailureMode, created: bool, raw: bool = False, **kwargs):
    """Compare the current priority of the ratings as loaded and as saved (both held by
    the instance, so no query unless it changed)."""
    loaded = getattr(instance, "_loaded", None)
    if created or raw or not loaded:
        return
    previous = scoring.current_action_priority(
        *(loaded.get(name) for name in scoring.CURRENT_PRIORITY_RATINGS)
    )
    current = scoring.current_action_priority(
        *(getattr(instance, name) for name in scoring.CURRENT_PRIORITY_RATINGS)
    )
    if previous is not None and previous != current:
        events.emit_priority_changed(instance, str(previous), str(current))


def connect() -> None:
    events.deliveries_ready.connect(queue_deliveries, dispatch_uid="webhooks-queue")
    post_save.connect(priority_changed, sender=FailureMode, dispatch_uid="webhooks-priority")
