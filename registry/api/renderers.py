"""The API's JSON renderer: orjson, with exactly the bytes DRF's JSONRenderer writes.

DRF's renderer encodes with the standard library's `json`: a page of 100 failure modes
took 1.1 ms of a 10 ms request to encode, orjson takes a tenth of that. The two
encoders write the same bytes for text, integers, booleans, lists and dictionaries;
where they differ, this renderer gives DRF's output:

- values orjson does not know natively (datetimes, dates, decimals, lazy translations,
  querysets) go through DRF's own encoder (`JSONEncoder.default`), so a datetime is
  written the DRF way (milliseconds, `Z`), not orjson's;
- U+2028 and U+2029 are escaped, as DRF does for the sake of JavaScript;
- floats: orjson writes `1e-7` and `0.000025` where `json` writes `1e-07` and `2.5e-05`.
  Every float the two write differently is written by orjson with a digit before `e-`
  or as `0.0000...`, so a body with either (rare: text can match too) is encoded again
  by DRF;
- an indented answer (`Accept: application/json; indent=4`, the browsable API) and
  anything orjson refuses (integers past 64 bits, nesting past 254 levels) are DRF's.

tests/api/test_renderers.py compares the two byte for byte.
"""

from __future__ import annotations

import orjson
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

# Floats that orjson may write differently from `json` (see the module's docstring):
# what they contain, and the bytes one of them follows.
FLOAT_DOUBTS = ((b"e-", b"0123456789"), (b"0.0000", b",:[-"))


def has_float_doubt(body: bytes) -> bool:
    """Whether the body may hold a float that `json` writes otherwise. `bytes.find`
    scans a page of 100 failure modes several times faster than a regular expression
    would."""
    for needle, after in FLOAT_DOUBTS:
        at = body.find(needle, 1)
        while at != -1:
            if body[at - 1] in after:
                return True
            at = body.find(needle, at + 1)
    return False


LINE_SEPARATORS = ((b"\xe2\x80\xa8", b"\\u2028"), (b"\xe2\x80\xa9", b"\\u2029"))


class JSONRenderer(ORJSONRenderer):
    """orjson where its bytes are DRF's; DRF's JSONRenderer elsewhere."""

    # Dictionary keys that are not text (ids) become text, as `json` makes them;
    # datetimes, dates and times go to DRF's encoder.
    options = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
    drf = renderers.JSONRenderer()

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        renderer_context = renderer_context or {}
        if data is None or self.drf.get_indent(accepted_media_type or "", renderer_context):
            return self.drf.render(data, accepted_media_type, renderer_context)
        try:
            body = super().render(
                data,
                accepted_media_type,
                {**renderer_context, "default_function": JSONEncoder().default},
            )
        except orjson.JSONEncodeError:
            return self.drf.render(data, accepted_media_type, renderer_context)
        if has_float_doubt(body):
            return self.drf.render(data, accepted_media_type, renderer_context)
        if b"\xe2\x80" in body:  # the first two bytes of both: one scan when neither is there
            for raw, escaped in LINE_SEPARATORS:
                body = body.replace(raw, escaped)
        return body
