"""The code that leans on Django's (and DRF's) internals, mostly for speed.

Each piece goes past the public API, so re-check it on every Django or
DRF upgrade:

- `counts`: cached exact page counts keyed on `TeamRevision` (migration 0008's
  triggers); keys the count on the SQL of `Query.sql_with_params()`.
- `paging`: deep pages find their ids first; relies on Django's `Paginator` hooks.
- `bulk.update_versioned`: one `UPDATE … FROM (VALUES …) AS v` per batch, with
  each field's `get_db_prep_save()` and `cast_db_type()`.
- `expressions.InSubquery`: compiles its own SQL (`= ANY(ARRAY(...))` on PostgreSQL).
- `expressions.InValues`: compiles its own SQL (`= ANY(%s)`, one array, on PostgreSQL).
- `representation.FastRepresentationMixin`: reads list pages as tuples and builds DRF's
  representation itself; `tests/api/test_representation.py` compares it with DRF's own
  on every resource, so a changed field class fails there first.
- `registry.models.base.VersionedModel._do_update`: the optimistic-lock UPDATE.
- `registry.models.base.ConstraintFieldsMixin.validate_constraints`: Django's own loop
  over `Model.get_constraints()`, reporting each constraint on its field.
- `registry.querysets.TeamScopedQuerySet`: filters with `db.expressions.InSubquery`.

The last three live with the models (they are part of them); this package imports no
model, so the models can use it.
"""
