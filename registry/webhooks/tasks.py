"""Celery tasks of the webhooks: thin wrappers around `delivery.attempt`."""

from celery import shared_task

from registry.webhooks import delivery


@shared_task(name="registry.deliver_webhook", bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self, delivery_id: int) -> str:
    """One attempt; a failed one comes back after its backoff, until the day is over."""
    wait = delivery.attempt(delivery_id)
    if wait is not None:
        raise self.retry(countdown=wait)
    return "done"


@shared_task(name="registry.sweep_webhook_deliveries", acks_late=True)
def sweep_webhook_deliveries() -> int:
    """Queue again the deliveries whose queued attempt was lost."""
    ids = delivery.overdue()
    for delivery_id in ids:
        deliver_webhook.delay(delivery_id)
    return len(ids)
