"""The unit tests' one fake of a Stripe list endpoint.

`FakeStripeList` holds objects `{id, created}` and answers like Stripe's list endpoints: newest first (ties: the
later insertion first), `created[gt|gte|lt|lte]`, `limit` (default 10, 1 to 100), `starting_after` and
`has_more`. Out-of-range limits and unknown `starting_after` ids get Stripe's 400. Other query parameters are
recorded and otherwise ignored.

Use it as a requests-mock callback, `stripe.get(f"{API}/charges", text=fake)`, or call `list_page(query)`
directly (for components fed with pages, like the window planner). It records every query it answered:
`queries`, `windows` (the `created` range of each first page, i.e. each request without `starting_after`),
`requests`.

It is the unit tests' fake only: the integration tests run against the emulator in integration_tests/emulator/.
"""

from __future__ import annotations

import bisect
import json
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, urlsplit

NO_UPPER_BOUND = 2**40


class StripeListError(Exception):
    """A 400 Stripe would answer; `body` is Stripe's error body."""

    def __init__(self, message: str, param: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        error: Dict[str, Any] = {"message": message, "type": "invalid_request_error", "param": param}
        if code:
            error["code"] = code
        self.body = {"error": error}


class FakeStripeList:
    """One Stripe list endpoint over objects `{id: f"{prefix}_{i}", created: createds[i]}`."""

    def __init__(self, createds: Sequence[int] = (), prefix: str = "obj") -> None:
        newest_first = sorted(enumerate(createds), key=lambda pair: (pair[1], pair[0]), reverse=True)
        self.objects: List[Dict[str, Any]] = [{"id": f"{prefix}_{i}", "created": c} for i, c in newest_first]
        self._negated = [-o["created"] for o in self.objects]  # ascending, for bisect
        self._position = {o["id"]: i for i, o in enumerate(self.objects)}
        self._lock = threading.Lock()
        self.queries: List[Dict[str, str]] = []

    # --- what it was asked -------------------------------------------------------------------------------------

    @property
    def requests(self) -> int:
        return len(self.queries)

    @property
    def windows(self) -> List[Tuple[int, int]]:
        """(created[gte], created[lte]) of every first page asked for, in the order asked."""
        return [
            (int(q.get("created[gte]", 0)), int(q.get("created[lte]", NO_UPPER_BOUND)))
            for q in self.queries
            if "starting_after" not in q
        ]

    # --- what it holds -----------------------------------------------------------------------------------------

    def ids_between(self, low: int, high: int) -> List[str]:
        """Ids of the objects created in [low, high], newest first."""
        return [o["id"] for o in self.objects if low <= o["created"] <= high]

    # --- answering ---------------------------------------------------------------------------------------------

    def list_page(self, query: Mapping[str, Any]) -> Dict[str, Any]:
        """The list body Stripe would answer to `query`; raises StripeListError for Stripe's 400s."""
        query = {name: str(value) for name, value in query.items()}
        with self._lock:
            self.queries.append(query)
        limit = int(query.get("limit", 10))
        if limit < 1:
            raise StripeListError("This value must be greater than or equal to 1.", "limit")
        if limit > 100:
            raise StripeListError("This value must be less than or equal to 100.", "limit")
        low = max(int(query.get("created[gte]", 0)), int(query.get("created[gt]", -1)) + 1)
        high = min(int(query.get("created[lte]", NO_UPPER_BOUND)), int(query.get("created[lt]", NO_UPPER_BOUND)) - 1)
        start = bisect.bisect_left(self._negated, -high)  # first object created <= high
        end = bisect.bisect_right(self._negated, -low)  # past the last object created >= low
        after = query.get("starting_after")
        if after is not None:
            if after not in self._position:
                raise StripeListError(f"No such object: '{after}'", "starting_after", code="resource_missing")
            start = max(start, self._position[after] + 1)
        end = max(start, end)
        return {"object": "list", "data": self.objects[start:min(end, start + limit)], "has_more": start + limit < end}

    def __call__(self, request, context) -> str:
        """requests-mock callback (`text=`)."""
        try:
            body = self.list_page(dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True)))
        except StripeListError as error:
            context.status_code = 400
            return json.dumps(error.body)
        return json.dumps({**body, "url": urlsplit(request.url).path})
