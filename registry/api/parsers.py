"""The API's JSON parser: DRF's, with a limit on how deeply a body may nest.

Python's decoder recurses once per level, so a body of a few thousand brackets raised
RecursionError (a 500), on the anonymous token endpoint too. No request of the API
nests more than a few levels; anything deeper than MAX_DEPTH is refused as a 400.
"""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 64
TOO_DEEP = f"JSON parse error - the body nests deeper than {MAX_DEPTH} levels."


def depth_exceeds(value: object, limit: int) -> bool:
    """Whether `value` nests lists and objects more than `limit` levels deep (walked
    without recursion, stopping at the first level past the limit)."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, (dict, list))
            for child in (item.values() if isinstance(item, dict) else item)
        ]
        if not level:
            return False
    return any(isinstance(item, (dict, list)) for item in level)


class JSONParser(parsers.JSONParser):
    """JSON bodies of at most MAX_DEPTH levels: deeper ones answer 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        if depth_exceeds(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
