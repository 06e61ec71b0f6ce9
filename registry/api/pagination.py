from functools import partial

from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination

from registry.db.paging import RegisterPaginator
from registry.ordering import Sorts


class PagePaginator(RegisterPaginator):
    """Counts and slices the model queryset; with `row_lookups`, reads the page's rows
    as `values_list` tuples (the view represents them) instead of model instances."""

    def __init__(self, object_list, per_page, *, row_lookups=None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.row_lookups = row_lookups

    def page_rows(self, sliced):
        rows = super().page_rows(sliced)
        return rows if self.row_lookups is None else rows.values_list(*self.row_lookups)


class StandardPagination(PageNumberPagination):
    """Page numbers with a count; `?page_size=` from 1 to 1000 (400 outside).

    A view that represents rows from tuples sets `page_row_lookups`.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
    cache_count = False

    def paginate_queryset(self, queryset, request, view=None):
        self.django_paginator_class = partial(
            PagePaginator,
            user=request.user if self.cache_count else None,
            row_lookups=getattr(view, "page_row_lookups", None),
        )
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {"page_size": [f"Give a whole number from 1 to {self.max_page_size}."]}
            )
        return size

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


class CachedCountPagination(StandardPagination):
    """For the large lists (failure modes): the count is cached until the caller's
    teams change, so paging through 100,000 rows does not count them on every page."""

    cache_count = True


class StableOrderingFilter(OrderingFilter):
    """`?ordering=` by the list's sort keys (`registry.ordering`), as the browser sorts:

    - a view set's `ordering_fields` is a `Sorts` (choice columns ranked: action
      priority L < M < H, status in lifecycle order) or a list of column names;
    - empty values (e.g. the max RPN of an application without failure modes) sort
      last in either direction, where PostgreSQL and SQLite would disagree;
    - the id is the last key, so pages never overlap or skip rows when many rows share
      a value (RPN takes only 120 distinct values).
    """

    def filter_queryset(self, request, queryset, view):
        ordering = self.get_ordering(request, queryset, view)
        if not ordering:
            return queryset
        return self.sorts(queryset, view).order(queryset, *ordering)

    def sorts(self, queryset, view) -> Sorts:
        fields = getattr(view, "ordering_fields", None)
        if isinstance(fields, Sorts):
            return fields
        names = [name for name, _ in self.get_valid_fields(queryset, view)]
        return Sorts.of_columns(queryset.model, names)

    def get_schema_operation_parameters(self, view):
        fields = getattr(view, "ordering_fields", None) or []
        names = ", ".join(name for name in fields if isinstance(name, str))
        return [
            {
                **parameter,
                "description": "Sort keys, comma-separated; a leading - sorts descending. "
                f"Empty values sort last either way; the id breaks ties. Keys: {names}.",
            }
            for parameter in super().get_schema_operation_parameters(view)
        ]
