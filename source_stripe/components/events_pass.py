"""One `/v1/events` read for every stream of a sync: the events pass.

Every stream read through Stripe's events (object streams, their children, streams re-read on a parent's event)
asks `/v1/events` for its own event types in its own windows. Read one by one, an incremental sync with no changes
costs one request per stream or more. The pass reads the events once, for the union of the streams' event types
(Stripe takes at most 20 `types[]`; with more, every type), from the oldest cursor to the sync's `events_until`, and
answers each stream's events requests from memory: the stream's retriever, cursor, filters and state are unchanged,
only its requests for events no longer reach Stripe.

- `EventsQuery`: what an events request asks (types, `created` bounds, `starting_after`), or None when it asks
  something the pass cannot answer (`ending_before`, `type=`, another parameter).
- `EventsPass`: fetches the pass once, on the first request that needs it, newest first, at most `max_pages` pages;
  when Stripe has more, the pass covers only the newest part and older windows go to Stripe as before. A request
  is answered only when the pass covers it exactly (its types, its whole window), so a stream never gets less
  than Stripe would have sent.
- `ServedEvents`: the events each stream was answered in earlier passes of a continuous run (ids, pruned to the
  overlap), left out of its later answers: the overlap that guards against late-indexed events does not emit the
  same records again.
- `PassServedRequester`: a stream's requester for `/v1/events`, answering from the pass when it can.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, FrozenSet, Iterable, List, Mapping, Optional, Tuple

import orjson
import requests

from source_stripe.components.response_body import json_body, response_with_body

# Stripe accepts at most 20 values in `types[]` (https://docs.stripe.com/api/events/list).
MAX_TYPES = 20
PAGE_SIZE = 100
# The pass holds at most this many pages of events (~3 KB each): a sync far behind reads its older windows from Stripe
# directly, as many windows at once, rather than one page after another through the pass.
MAX_PAGES = 20
CREATED_BOUNDS = ("created[gte]", "created[gt]", "created[lte]", "created[lt]")
# What an events request may carry for the pass to answer it.
ANSWERABLE = frozenset({"limit", "starting_after", "types[]", "types", *CREATED_BOUNDS})


def _seconds(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class EventsQuery:
    """An events request: its types (None: every type), its `created` window `[lo, hi]` (None: open), and the id it
    starts after."""

    types: Optional[FrozenSet[str]]
    lo: Optional[int]
    hi: Optional[int]
    starting_after: Optional[str] = None

    @classmethod
    def parse(cls, params: Mapping[str, Any]) -> Optional["EventsQuery"]:
        """The query of request parameters as the CDK sends them (`types[]`: a list, `created[gte]`: epoch
        seconds), or None when they ask something the pass does not answer."""
        if any(name not in ANSWERABLE for name in params):
            return None
        raw_types = params.get("types[]", params.get("types"))
        types = None
        if raw_types is not None:
            types = frozenset([raw_types] if isinstance(raw_types, str) else (str(t) for t in raw_types))
        bounds = {name: _seconds(params[name]) for name in CREATED_BOUNDS if name in params}
        if any(value is None for value in bounds.values()):
            return None
        lows = [bounds.get("created[gte]"), None if "created[gt]" not in bounds else bounds["created[gt]"] + 1]
        highs = [bounds.get("created[lte]"), None if "created[lt]" not in bounds else bounds["created[lt]"] - 1]
        lo = max((value for value in lows if value is not None), default=None)
        hi = min((value for value in highs if value is not None), default=None)
        after = params.get("starting_after")
        return cls(types=types, lo=lo, hi=hi, starting_after=str(after) if after else None)


@dataclass(frozen=True)
class PassEvent:
    """One event of the pass: what a query filters on, and its bytes as Stripe sent them (re-parsed by each stream
    that receives it, so that no two streams share, and change, one object)."""

    id: str
    type: str
    created: int
    raw: bytes


@dataclass
class ServedEvents:
    """Per stream, the ids of the events answered in earlier passes of a run, with their times; `prune` drops those
    older than the next pass can ask for."""

    by_stream: Dict[str, Dict[str, int]] = field(default_factory=dict)

    def served(self, stream: str) -> Mapping[str, int]:
        return self.by_stream.get(stream, {})

    def add(self, stream: str, events: Iterable[PassEvent]) -> None:
        ids = self.by_stream.setdefault(stream, {})
        for event in events:
            ids[event.id] = event.created

    def merge(self, other: "ServedEvents") -> None:
        for stream, ids in other.by_stream.items():
            self.by_stream.setdefault(stream, {}).update(ids)

    def prune(self, before: int) -> None:
        for stream, ids in self.by_stream.items():
            self.by_stream[stream] = {event_id: at for event_id, at in ids.items() if at >= before}

    def __len__(self) -> int:
        return sum(len(ids) for ids in self.by_stream.values())


Fetch = Callable[[Mapping[str, Any]], Optional[requests.Response]]


class EventsPass:
    """The events of `[since, until]` of the given `types` (None: every type), read once, answering every stream.

    `fetch(params)` sends one `/v1/events` request with exactly `params` (the pass's own requester: the shared rate
    budget, retries and error handler apply) and is set by `attach` before the first answer. Thread-safe: the first
    stream to ask reads the pass while the others wait for it.
    """

    def __init__(
        self,
        types: Optional[Iterable[str]],
        since: int,
        until: int,
        max_pages: int = MAX_PAGES,
        served_before: Optional[ServedEvents] = None,
    ) -> None:
        wanted = frozenset(types) if types is not None else None
        self.types: Optional[FrozenSet[str]] = wanted if wanted is not None and len(wanted) <= MAX_TYPES else None
        self.since, self.until, self.max_pages = since, until, max_pages
        self.served_before = served_before or ServedEvents()
        self.served_now = ServedEvents()  # what this pass answered, for the run's next pass
        self.requests = 0
        self._fetch: Optional[Fetch] = None
        self._events: Optional[List[PassEvent]] = None
        self._covered_from = since
        self._template: Optional[requests.Response] = None
        self._failed = False
        self._lock = threading.Lock()

    def attach(self, fetch: Fetch) -> None:
        with self._lock:
            if self._fetch is None:
                self._fetch = fetch

    @property
    def covered_from(self) -> int:
        """The oldest second the pass holds every event of (after it was read)."""
        return self._covered_from

    def answer(self, params: Mapping[str, Any], stream: str) -> Optional[requests.Response]:
        """A `/v1/events` page answering `params` for `stream`, or None when the request must go to Stripe."""
        query = EventsQuery.parse(params)
        if query is None or not self._may_cover(query):
            return None
        events = self._read()
        if events is None or self._template is None or not self._covers(query):
            return None
        selected = self._select(events, query, self.served_before.served(stream))
        with self._lock:
            self.served_now.add(stream, selected)
        body = b"".join(
            (b'{"object":"list","data":[', b",".join(event.raw for event in selected),
             b'],"has_more":false,"url":"/v1/events"}')
        )
        return response_with_body(self._template, body)

    # ----------------------------------------------------------------------------------------------------------------
    def _may_cover(self, query: EventsQuery) -> bool:
        if self.types is not None and (query.types is None or not query.types <= self.types):
            return False
        return query.lo is not None and query.hi is not None and self.since <= query.lo and query.hi <= self.until

    def _covers(self, query: EventsQuery) -> bool:
        return self._may_cover(query) and self._covered_from <= (query.lo or 0)

    def _read(self) -> Optional[List[PassEvent]]:
        """The pass's events, read on the first call. A pass that failed (an error Stripe answered, raised to the
        stream that asked first) answers nothing: every stream then asks Stripe itself and gets its own error."""
        with self._lock:
            if self._events is None and self._fetch is not None and not self._failed:
                self._failed = True
                self._events = self._fetch_all(self._fetch)
                self._failed = self._events is None
            return None if self._failed else self._events

    def _fetch_all(self, fetch: Fetch) -> Optional[List[PassEvent]]:
        params: Dict[str, Any] = {"limit": PAGE_SIZE, "created[gte]": self.since, "created[lte]": self.until}
        if self.types is not None:
            params["types[]"] = sorted(self.types)
        events: List[PassEvent] = []
        for _page in range(self.max_pages):
            response = fetch(params)
            self.requests += 1
            if response is None or response.status_code != 200:
                return None  # the streams ask Stripe themselves, and get its error the usual way
            body = json_body(response)
            data = body.get("data") or []
            events.extend(
                PassEvent(str(event.get("id")), str(event.get("type")), int(event.get("created") or 0), orjson.dumps(event))
                for event in data
                if isinstance(event, dict)
            )
            self._template = response
            if not body.get("has_more") or not data:
                return events
            params = dict(params, starting_after=data[-1]["id"])
        # More than `max_pages`: the pass holds the newest seconds whole (the oldest one it reached may be partial).
        self._covered_from = events[-1].created + 1 if events else self.until + 1
        return [event for event in events if event.created >= self._covered_from]

    @staticmethod
    def _select(events: List[PassEvent], query: EventsQuery, served: Mapping[str, int]) -> List[PassEvent]:
        lo, hi = query.lo or 0, query.hi if query.hi is not None else 2**63
        selected = [
            event
            for event in events
            if lo <= event.created <= hi
            and (query.types is None or event.type in query.types)
            and event.id not in served
        ]
        if query.starting_after is not None:
            ids = [event.id for event in selected]
            selected = selected[ids.index(query.starting_after) + 1:] if query.starting_after in ids else []
        return selected


class PassServedRequester:
    """A stream's `/v1/events` requester that asks the pass first.

    Wraps the requester (everything but `send_request` is delegated). A request the pass answers costs no call to
    Stripe; any other goes to Stripe as before. The full query is what Stripe would get: the requester's own
    parameters (the row's `types[]`) plus the call's (`created[...]`, `limit`, `starting_after`).
    """

    def __init__(self, requester: Any, events_pass: EventsPass, stream: str) -> None:
        self._requester = requester
        self._pass = events_pass
        self._stream = stream

    def send_request(self, *args: Any, **kwargs: Any) -> Optional[requests.Response]:
        if not args:
            params = self._query(kwargs)
            if params is not None:
                response = self._pass.answer(params, self._stream)
                if response is not None:
                    return response
        return self._requester.send_request(*args, **kwargs)

    def _query(self, kwargs: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
        try:
            own = self._requester.get_request_params(
                stream_state=kwargs.get("stream_state"),
                stream_slice=kwargs.get("stream_slice"),
                next_page_token=kwargs.get("next_page_token"),
            )
        except Exception:  # noqa: BLE001 - whatever the pass cannot read goes to Stripe
            return None
        if not isinstance(own, Mapping):
            return None
        extra = kwargs.get("request_params") or {}
        if not isinstance(extra, Mapping):
            return None
        return {**own, **extra}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requester, name)


def pass_bounds(cursors: Iterable[int], overlap: int, until: int) -> Optional[Tuple[int, int]]:
    """`[since, until]` of a pass for streams whose cursors are `cursors`: from the oldest, minus the overlap."""
    values = list(cursors)
    if not values:
        return None
    return max(0, min(values) - overlap), until
