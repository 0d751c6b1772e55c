"""The one list function: newest-first ordering, `created` filters and cursor pagination."""
from __future__ import annotations

from bisect import bisect_left, bisect_right

from .errors import ApiError, invalid_integer, missing_resource, unknown_parameter

CREATED_OPS = ("gt", "gte", "lt", "lte")


class View:
    """Records sorted newest first (created desc, later insertion first on ties)."""

    __slots__ = ("recs", "negs", "pos")

    def __init__(self, records):
        self.recs = sorted(records, key=lambda r: (r.created, r.seq), reverse=True)
        self.negs = [-r.created for r in self.recs]
        self.pos = {r.id: i for i, r in enumerate(self.recs)}


def parse_int(value, param: str) -> int:
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise invalid_integer(value, param)


def parse_limit(params: dict) -> int:
    if "limit" not in params:
        return 10
    limit = parse_int(params["limit"], "limit")
    if limit < 1:
        raise ApiError(400, "This value must be greater than or equal to 1.", param="limit")
    if limit > 100:
        raise ApiError(400, "This value must be less than or equal to 100.", param="limit")
    return limit


def created_bounds(value) -> tuple[int | None, int | None, bool, bool]:
    """(low, high, low_strict, high_strict) from `created=N` or `created[gte]=N`…"""
    if isinstance(value, str):
        n = parse_int(value, "created")
        return n, n, False, False
    if not isinstance(value, dict):
        raise unknown_parameter("created")
    lo = hi = None
    lo_strict = hi_strict = False
    for op, raw in value.items():
        if op not in CREATED_OPS:
            raise unknown_parameter(f"created[{op}]")
        n = parse_int(raw, f"created[{op}]")
        if op in ("gt", "gte"):
            strict = op == "gt"
            if lo is None or n > lo or (n == lo and strict):
                lo, lo_strict = n, strict
        else:
            strict = op == "lt"
            if hi is None or n < hi or (n == hi and strict):
                hi, hi_strict = n, strict
    return lo, hi, lo_strict, hi_strict


def index_range(view: View, lo, hi, lo_strict, hi_strict) -> tuple[int, int]:
    """Indices [start, end) of records whose created lies within the bounds."""
    start, end = 0, len(view.recs)
    if lo is not None:  # created >= lo  <=>  -created <= -lo
        end = bisect_left(view.negs, -lo) if lo_strict else bisect_right(view.negs, -lo)
    if hi is not None:  # created <= hi  <=>  -created >= -hi
        start = bisect_right(view.negs, -hi) if hi_strict else bisect_left(view.negs, -hi)
    return start, max(start, end)


def page(view: View, params: dict, noun: str, created=None, min_created: int | None = None,
         pred=None) -> tuple[list, bool]:
    """Select one page from `view`. Returns (records, has_more).

    `created` is the parsed `created` param value (or None); `min_created` an extra
    lower bound (event retention); `pred(record) -> bool` any other filter.
    """
    limit = parse_limit(params)
    lo = hi = None
    lo_strict = hi_strict = False
    if created is not None:
        lo, hi, lo_strict, hi_strict = created_bounds(created)
    if min_created is not None and (lo is None or lo < min_created or (lo == min_created and not lo_strict)):
        lo, lo_strict = min_created, False
    start, end = index_range(view, lo, hi, lo_strict, hi_strict)
    recs = view.recs
    after, before = params.get("starting_after"), params.get("ending_before")
    if after:
        if after not in view.pos:
            raise missing_resource(noun, after, "starting_after", status=400)
        start = max(start, view.pos[after] + 1)
    elif before:
        if before not in view.pos:
            raise missing_resource(noun, before, "ending_before", status=400)
        end = min(end, view.pos[before])
        out = []
        i = end - 1
        while i >= start and len(out) <= limit:
            if pred is None or pred(recs[i]):
                out.append(recs[i])
            i -= 1
        has_more = len(out) > limit
        out = out[:limit]
        out.reverse()
        return out, has_more
    if pred is None:
        out = recs[start:min(end, start + limit + 1)]
    else:
        out = []
        i = start
        while i < end and len(out) <= limit:
            if pred(recs[i]):
                out.append(recs[i])
            i += 1
    return out[:limit], len(out) > limit
