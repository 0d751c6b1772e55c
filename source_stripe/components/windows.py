"""`created` windows sized to the data, so that a stream's history is read as many windows at once.

Stripe lists are newest first and paginated with `starting_after`, so one `created` window is read one page after
another: a window of 1,000 pages takes 1,000 round trips in a row whatever `num_workers` is. Splitting the history
into windows of a few pages each lets the CDK read up to `num_workers` of them at once. Equal time windows do not
work: Stripe data is bursty (a busy month, an import day), so the windows are cut from the density of the data,
learned with probe requests.

A probe is the first page of the window `[lo, point]` (`created[gte]=lo`, `created[lte]=point`, `limit=100`): the
(up to) 100 newest objects at or before `point`. Their `created` times give the density just below `point`; when the
page has no more, it is every object of `[lo, point]`. The planner probes the top of the range, a grid below it, and
the middle of the gaps where the densities at both ends disagree, then cuts each gap between probes into windows of
about the same number of objects. Every probe point ends a window, and the probe page is that window's first page
(served from memory, see `PrefetchedFirstPages`), so probes cost no extra request: a stream of one page is still one
request, and a big stream pays only for the partial last page of each window.

Windows tile the range exactly: `[lo, b1], [b1 + 1, b2], …, [bk + 1, hi]` in whole seconds, so no object is read
twice or missed whatever the estimates were; a wrong estimate only makes a window longer or shorter to read.

The planning is window_planner.py's (pure, no HTTP); this module probes through the stream's own retriever, serves
probe pages as first pages, and is the cursor that yields the windows.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple

import orjson
import requests
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.cdk_seams import (
    adopt_cursor,
    first_page_slice,
    format_slice_boundary,
    parse_slice_boundary,
    slice_boundary_fields,
)
from source_stripe.components.response_body import forget_body, json_body, response_with_body
from source_stripe.components.window_planner import Probe, ProbePage, WindowPlanner

# Stripe lists filter (`created[gte]`/`created[lte]`) and order on `created`, epoch seconds.
CREATED = "created"


# --------------------------------------------------------------------------------------------------------------------
# Probing through the stream's own retriever, and serving probe pages as first pages.
# --------------------------------------------------------------------------------------------------------------------
def first_page_body(body: Mapping[str, Any], start: int) -> Mapping[str, Any]:
    """The first page of window `[start, point]` from the probe page of `[lo, point]` (lo <= start).

    The probe lists the newest objects at or before `point`. If they are all created at or after `start`, they are
    also the window's first page, with the same `has_more`. Otherwise the page reaches below the window, so it holds
    every object of the window: those created at or after `start`, and nothing more.
    """
    data = body.get("data") or []
    if not data or data[-1].get(CREATED, start) >= start:
        return body
    return dict(body, data=[obj for obj in data if obj.get(CREATED, start) >= start], has_more=False)


def first_page_response(page: ProbePage, start: int) -> Optional[requests.Response]:
    """The probe's response, or a copy narrowed to `[start, point]` (see `first_page_body`)."""
    response = page.response
    if response is None or not page.createds or page.createds[-1] >= start:
        return response
    body = first_page_body(json_body(response), start)
    forget_body(response)
    # Kept as bytes and parsed again when read: a parsed page is ~5x its bytes in memory.
    return response_with_body(response, orjson.dumps(body))


def _slice_key(stream_slice: Optional[Mapping[str, Any]]) -> Optional[Tuple[Tuple[str, Any], ...]]:
    if stream_slice is None:
        return None
    cursor_slice = getattr(stream_slice, "cursor_slice", stream_slice)
    partition = getattr(stream_slice, "partition", {})
    return tuple(sorted({**partition, **cursor_slice}.items()))


class PrefetchedPages:
    """First pages fetched by the planner, by window; each is handed out once. Thread-safe."""

    def __init__(self) -> None:
        self._pages: Dict[Any, requests.Response] = {}
        self._lock = threading.Lock()

    def put(self, stream_slice: Mapping[str, Any], response: requests.Response) -> None:
        with self._lock:
            self._pages[_slice_key(stream_slice)] = response

    def pop(self, stream_slice: Optional[Mapping[str, Any]]) -> Optional[requests.Response]:
        with self._lock:
            return self._pages.pop(_slice_key(stream_slice), None)

    def __len__(self) -> int:
        return len(self._pages)


class PrefetchedFirstPages:
    """The stream's requester, except that a window's first page the planner already fetched comes from memory.

    Wraps the retriever's requester (everything but `send_request` is delegated), so the window's later pages, and
    every window without a probe page, go through the CDK's HttpClient as before. Which call asks for a window's
    first page is `cdk_seams.first_page_slice`'s to say: it depends on how the CDK's SimpleRetriever calls us.
    """

    def __init__(self, requester: Any, pages: PrefetchedPages) -> None:
        self._requester = requester
        self._pages = pages

    def send_request(self, *args: Any, **kwargs: Any) -> Optional[requests.Response]:
        stream_slice = first_page_slice(args, kwargs)
        if stream_slice is not None:
            response = self._pages.pop(stream_slice)
            if response is not None:
                return response
        return self._requester.send_request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._requester, name)


class RetrieverProbe:
    """Sends the first request of window `[lo, point]` as the stream's retriever would (same path, query, page
    size, `created` options), through the retriever's requester: the shared api_budget, the retries on 429/5xx and
    the manifest's error handler apply, and the key is filtered from logs like any request's."""

    def __init__(self, retriever: Any, requester: Any, slice_for: Callable[[int, int], StreamSlice]) -> None:
        self._retriever = retriever
        self._requester = requester
        self._slice_for = slice_for

    def __call__(self, lo: int, point: int) -> ProbePage:
        stream_slice = self._slice_for(lo, point)
        params: Dict[str, Any] = dict(self._retriever.request_option_provider.get_request_params(stream_slice=stream_slice))
        if self._retriever.paginator is not None:
            params.update(self._retriever.paginator.get_request_params(stream_slice=stream_slice))
        response = self._requester.send_request(
            stream_slice=stream_slice, request_params=params, log_formatter=self._retriever.log_formatter
        )
        return probe_page(point, response)


def probe_page(point: int, response: Optional[requests.Response]) -> ProbePage:
    """A ProbePage from a response. Anything but a Stripe list (an ignored error, no body) counts as a complete
    page, so the window is not split and its partition replays that response as it would have received it."""
    complete = ProbePage(point, (), has_more=False, response=response)
    if response is None or response.status_code != 200:
        return complete
    try:
        body = json_body(response)
    except ValueError:
        return complete
    data = body.get("data")
    if not isinstance(data, list):
        return complete
    createds = tuple(obj.get(CREATED) for obj in data if isinstance(obj, dict))
    if len(createds) != len(data) or not all(isinstance(created, int) for created in createds):
        return complete  # no density to learn: one window
    # Probe pages wait in memory until their window is read: keep the bytes, not the parsed objects (~5x larger).
    forget_body(response)
    return ProbePage(point, createds, has_more=bool(body.get("has_more")), response=response)


# --------------------------------------------------------------------------------------------------------------------
# The cursor.
# --------------------------------------------------------------------------------------------------------------------
class WindowSlice(StreamSlice):
    """A StreamSlice whose hash is computed once. The CDK's ConcurrentCursor looks each record's slice up in a dict
    (`observe`), and StreamSlice hashes itself with `json.dumps(..., sort_keys=True)` on every call: ~5 % of a big
    sync's CPU. A window's boundaries never change, so its hash does not either."""

    _cached_hash: Optional[int] = None

    def __hash__(self) -> int:
        if self._cached_hash is None:
            self._cached_hash = super().__hash__()
        return self._cached_hash

    def __eq__(self, other: Any) -> bool:
        return self is other or super().__eq__(other)


class DensityWindowCursor(ConcurrentCursor):
    """The CDK's ConcurrentCursor, whose slices are density-sized windows (see the module docstring).

    The CDK's own slicing (state, start date, lookback, `step` as the largest window) gives the coarse ranges; each is
    cut by a `WindowPlanner`. State handling is the CDK's: the sequential state (`{"created": X}`) is the newest
    record of the contiguous run of closed windows from the start, so it stays one number however many windows there
    are. Until `bind()` is called (no retriever, e.g. a copy), slices are the CDK's.

    Enabled per cursor in the manifest with `$parameters: {window_pages: N}` (see StripeComponentFactory).
    """

    _planner: Optional[WindowPlanner] = None
    _prefetched: Optional[PrefetchedPages] = None
    window_pages: int = 0
    workers: int = 10

    @classmethod
    def from_cursor(cls, cursor: ConcurrentCursor, window_pages: int, workers: int) -> "DensityWindowCursor":
        """The same cursor (state, boundaries, converter) with density windows; the CDK builds ConcurrentCursor
        inside its factory, so its attributes are taken over as they are."""
        adopted = adopt_cursor(cursor, cls)
        adopted.window_pages = window_pages
        adopted.workers = workers
        return adopted

    def bind(self, retriever: Any) -> None:
        """Probes go through `retriever`'s requester; its first pages are served from the probes."""
        requester = retriever.requester
        page_size = retriever.paginator.get_page_size() if retriever.paginator is not None else None
        prefetched = self.bind_probe(RetrieverProbe(retriever, requester, self._window_slice), page_size or 100)
        retriever.requester = PrefetchedFirstPages(requester, prefetched)

    def bind_probe(self, probe: Probe, page_size: int = 100) -> "PrefetchedPages":
        """Plans windows with `probe`; returns where each window's first page, when a probe fetched it, waits for
        the window's first request (`PrefetchedPages.pop(window slice)`)."""
        self._prefetched = PrefetchedPages()
        self._planner = WindowPlanner(probe=probe, page_size=page_size, window_pages=self.window_pages, workers=self.workers)
        return self._prefetched

    def window_slice(self, start: int, end: int) -> StreamSlice:
        """The slice of window `[start, end]` (epoch seconds), as `stream_slices` yields it."""
        return self._window_slice(start, end)

    def stream_slices(self) -> Iterable[StreamSlice]:
        """Each of the CDK's slices (at most `step` long) cut into windows. The tops of all slices are probed first,
        at once: a long history with no data (a start_date years before the account's first object) then costs one
        round of parallel requests, not one request after another per `step`."""
        if self._planner is None or self._prefetched is None:
            yield from super().stream_slices()
            return
        start_field, end_field = slice_boundary_fields(self)
        coarse = [
            (stream_slice.partition, self._seconds(stream_slice.cursor_slice[start_field]),
             self._seconds(stream_slice.cursor_slice[end_field]))
            for stream_slice in super().stream_slices()
        ]
        tops = self._planner.probe_tops([(lo, hi) for _partition, lo, hi in coarse])
        for (partition, lo, hi), top in zip(coarse, tops):
            for window in self._planner.plan(lo, hi, top):
                stream_slice = self._window_slice(window.start, window.end, partition)
                if window.first_page is not None:
                    response = first_page_response(window.first_page, window.start)
                    if response is not None:
                        self._prefetched.put(stream_slice, response)
                yield stream_slice

    def _window_slice(self, start: int, end: int, partition: Optional[Mapping[str, Any]] = None) -> StreamSlice:
        start_field, end_field = slice_boundary_fields(self)
        return WindowSlice(
            partition=partition or {},
            cursor_slice={start_field: self._format(start), end_field: self._format(end)},
        )

    def _seconds(self, value: Any) -> int:
        return int(parse_slice_boundary(self, value).timestamp())

    def _format(self, seconds: int) -> Any:
        return format_slice_boundary(self, datetime.fromtimestamp(seconds, tz=timezone.utc))
