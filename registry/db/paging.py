"""The paginator of the large lists (failure modes), in the browser and the API."""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from django.db.models import QuerySet

from registry.db.counts import cached_count

#: From this offset on, a page first finds its ids, then reads its rows.
DEEP_PAGE_OFFSET = 1000


class RegisterPaginator(Paginator):
    """Django's paginator with two changes for lists of 100,000 rows:

    - with a `user`, the count is `cached_count` of the user's rows;
    - a deep page (page 900 of 100 rows) selects its ids with the OFFSET first, then
      reads those rows with their joins. An OFFSET makes the database walk every row
      it skips: through an index of the ordering that walk is cheap, through the joins
      the page reads it is not (95 ms against 13 ms at offset 89,900).
    """

    def __init__(self, object_list, per_page, *, user=None, **kwargs) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.user = user

    @cached_property
    def count(self) -> int:
        if self.user is None:
            return super().count
        return cached_count(self.object_list, self.user)

    def _get_page(self, object_list, number, paginator):
        return super()._get_page(self.page_rows(object_list), number, paginator)

    def page_rows(self, sliced):
        """What a page reads: the slice of the list, or for a deep page the list's rows
        whose ids are in the slice (same filters and order)."""
        if isinstance(sliced, QuerySet) and sliced.query.low_mark >= DEEP_PAGE_OFFSET:
            return self.object_list.filter(pk__in=sliced.values("pk"))
        return sliced
