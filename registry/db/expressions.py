"""Query expressions the ORM does not offer."""

from django.db import models


class InSubquery(models.Func):
    """`column IN (subquery)`, written on PostgreSQL as `column = ANY(ARRAY(subquery))`.

    The planner turns `IN (subquery)` into a semi-join, which costs more to plan than
    the page costs to read and, when counting, passes every row through a join. The
    array form runs the subquery once before the scan and filters with the column's
    index, like a list of literal ids would, without a query of its own.
    """

    output_field = models.BooleanField()

    def __init__(self, column: str, subquery: models.QuerySet) -> None:
        super().__init__(models.F(column), models.Subquery(subquery))

    def as_sql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def as_postgresql(self, compiler, connection, **extra_context):
        column, column_params = compiler.compile(self.source_expressions[0])
        subquery, subquery_params = compiler.compile(self.source_expressions[1])
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


class InValues(models.Func):
    """`column IN (values)`, written on PostgreSQL as `column = ANY(%s)` with the values
    as one array parameter.

    A list of thousands of ids is then neither prepared value by value by the ORM's `in`
    lookup nor parsed placeholder by placeholder by the driver, which for a chunk of
    2,000 ids cost more than the query itself.
    """

    output_field = models.BooleanField()

    def __init__(self, column: str, values) -> None:
        super().__init__(models.F(column))
        self.values = list(values)

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        if not self.values:
            return "1 = 0", ()
        placeholders = ", ".join(["%s"] * len(self.values))
        return f"{column} IN ({placeholders})", (*params, *self.values)

    def as_postgresql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        return f"{column} = ANY(%s)", (*params, self.values)


class IsoTimestamp(models.Func):
    """An aware timestamp as DRF writes it in UTC, `2026-12-04T06:51:55.597239Z`, with
    no fraction when the microseconds are zero (as `datetime.isoformat` does).
    PostgreSQL only: the list pages' rows read it as text instead of parsing each
    timestamp into a datetime and writing it out again."""

    output_field = models.TextField()
    template = (
        "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || "
        "CASE WHEN mod(date_part('microseconds', %(expressions)s)::integer, 1000000) = 0 "
        "THEN '' ELSE to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') END || 'Z'"
    )
