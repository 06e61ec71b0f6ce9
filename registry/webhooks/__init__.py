"""Outbound webhooks: events a team's subscriptions are told about (`events`), one
signed attempt at a time (`delivery`), queued by `signals` and run by `tasks`."""
