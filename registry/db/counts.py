"""Exact list counts, cached until what they count changes.

A page of the failure-mode list carries the count of everything the filters select.
On a team of 100,000 failure modes PostgreSQL needs several milliseconds to count
them, more than the page itself, and an integration paging through the register asks
for the same count on every page. So the count is cached under the count's SQL and
the revisions of the teams the caller can see (`TeamRevision`). Triggers bump a
team's revision in the same transaction as any change that could alter a count, so:

- a change that has committed has a new revision, and a count cached before it is
  never looked up again;
- the revisions are read before counting, so a count that already includes a change
  committed in between is filed under the old revisions, which no reader asks for once
  that change is visible.

SQLite has no such triggers and counts every time. If the cache is unreachable the
count is made directly: a slower page, never a failed one.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet

logger = logging.getLogger(__name__)

COUNT_CACHE_SECONDS = 600
Revisions = tuple[tuple[int, int | None], ...]
# Table names, not models: this module sits below the models (nothing in registry.db
# imports them). Migration 0008's triggers name the same tables.
MEMBERSHIPS = "registry_membership"
REVISIONS = "registry_teamrevision"


def team_revisions(user, using: str = DEFAULT_DB_ALIAS) -> Revisions:
    """(team id, revision) of every team whose rows the user can see, in one query.

    Plain SQL: it runs on every page, and the ORM takes longer to write this query
    than the database takes to answer it. An API token's check reads them in its own
    query (`known_team_revisions`), and then they are not read again.
    """
    known = getattr(user, "known_team_revisions", None)
    if known is not None and not user.is_superuser:
        return known
    if user.is_superuser:
        sql = f"SELECT team_id, revision FROM {REVISIONS} ORDER BY team_id"
        params: list = []
    else:
        sql = (
            f"SELECT m.team_id, r.revision FROM {MEMBERSHIPS} m "
            f"LEFT JOIN {REVISIONS} r ON r.team_id = m.team_id "
            "WHERE m.user_id = %s ORDER BY m.team_id"
        )
        params = [user.pk]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return tuple(cursor.fetchall())


def count_key(queryset: QuerySet, revisions: Revisions) -> str | None:
    """None when the queryset selects nothing by construction (e.g. `rpn_min` past the
    column's range), which Django counts without asking the database."""
    try:
        # The ids alone: the same WHERE, without the page's columns to write.
        sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    except EmptyResultSet:
        return None
    digest = hashlib.sha256(repr((sql, params, revisions)).encode()).hexdigest()
    return f"list-count:{queryset.model._meta.label_lower}:{digest}"


def cached_count(queryset: QuerySet, user) -> int:
    """`queryset.count()`, from the cache while none of the user's teams has changed.

    The queryset must be one the user's visible teams bound (e.g. `visible_to(user)`
    and filters): the key holds only those teams' revisions.
    """
    if connections[queryset.db].vendor != "postgresql" or not user.is_authenticated:
        return queryset.count()
    revisions = team_revisions(user, queryset.db)  # before counting: see the docstring
    key = count_key(queryset, revisions)
    if key is None:
        return queryset.count()
    try:
        count = cache.get(key)
    except Exception:  # the cache is down: count directly
        logger.warning("List count cache unavailable", exc_info=True)
        return queryset.count()
    if count is None:
        count = queryset.count()
        try:
            cache.set(key, count, COUNT_CACHE_SECONDS)
        except Exception:
            logger.warning("List count cache unavailable", exc_info=True)
    return count
