"""The events path of an evented stream: a window's `/v1/events`, its records, and the re-reads they ask for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple, Union

import requests
from airbyte_cdk.sources.declarative.requesters.requester import Requester
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.types import Record, StreamSlice

from source_stripe.components.rereads import NewestPerObject, Outcome, Reread, Rereads, Snapshot, StreamEvents
from source_stripe.components.response_body import json_body
from source_stripe.components.retrievers import bounded_map, window_params
from source_stripe.components.windows import DensityWindowCursor, PrefetchedPages, ProbePage, probe_page
from source_stripe.concurrency import inner_pool_size

STRIPE_VERSION = "Stripe-Version"
# A run of snapshots (no request to send), or one re-read.
Work = Union[List[Snapshot], Reread]


def work_items(outcomes: Iterable[Outcome], run_size: int = 100) -> Iterator[Work]:
    """`outcomes` in order, consecutive snapshots grouped by up to `run_size` (a page of events): a window without
    re-reads is a work item per page, not one per event, and its records flow as its pages arrive."""
    run: List[Snapshot] = []
    for outcome in outcomes:
        if isinstance(outcome, Snapshot):
            run.append(outcome)
            if len(run) >= run_size:
                yield run
                run = []
            continue
        if run:
            yield run
            run = []
        yield outcome
    if run:
        yield run


@dataclass
class EventsRetriever(SimpleRetriever):
    """Reads a window's events (`requester`: `/v1/events`, `types[]` = the row's event types and `reread_on` types,
    `created[gte|lte]` = the window, every page) and gives the stream's records: `StreamEvents` says which, and which
    re-reads to send; `Rereads` sends those through `reread_requester` (the stream's requester without a query of its
    own: the shared api_budget, retries and error handler apply), `max_parallel_rereads` at once (default
    `num_workers`, 16 in auto mode), in the events' order; `NewestPerObject` keeps one record per object of the window.

    The version the connector's requests get, which decides whether an event's object must be re-read, is the
    `Stripe-Version` Stripe answers the events page with (the config's `api_version`, else the account's default),
    else the config's `api_version`. The window is the stream's `updated` cursor slice `[start_time, end_time]`, cut
    into density windows like the lists (`bind_windows`): the state stays one `{"updated": …}` cursor. The
    `record_selector` SimpleRetriever requires is unused: pages' bodies are read once with `json_body`.

        retriever:
          type: CustomRetriever
          class_name: source_stripe.components.events_retriever.EventsRetriever
          requester: {$ref: "#/definitions/requester", path: events, request_parameters: {}}
          reread_requester: {$ref: "#/definitions/requester", request_parameters: {}}
          record_selector: {$ref: "#/definitions/record_selector"}
    """

    reread_requester: Optional[Requester] = None
    max_parallel_rereads: int = 0
    window_start_key: str = "start_time"
    window_end_key: str = "end_time"
    page_size: int = 100
    _events: Optional[StreamEvents] = field(init=False, default=None)
    _rereads: Optional[Rereads] = field(init=False, default=None)
    _prefetched: Optional[PrefetchedPages] = field(init=False, default=None)  # density probes' first pages

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        if self.reread_requester is None:
            raise ValueError(f"{type(self).__name__} needs a reread_requester")
        self._events = StreamEvents.from_parameters(parameters)
        self._rereads = Rereads.from_parameters(self.reread_requester, parameters)
        if self.max_parallel_rereads <= 0:
            self.max_parallel_rereads = inner_pool_size(self.config or {})

    @property
    def stream_events(self) -> StreamEvents:
        assert self._events is not None
        return self._events

    def event_params(self, window: StreamSlice) -> Dict[str, Any]:
        """The query of the window's first events request."""
        params = window_params(window, self.window_start_key, self.window_end_key, self.page_size)
        params["types[]"] = self.stream_events.types
        return params

    def bind_windows(self, cursor: DensityWindowCursor) -> None:
        """Density windows (`window_pages` on the stream's cursor): the cursor plans the windows by probing the events
        requests (the first request of a window ending at each probe point), and each probe's page is the first page
        of the window it ends."""

        def probe(lo: int, point: int) -> ProbePage:
            window = cursor.window_slice(lo, point)
            return probe_page(point, self.requester.send_request(stream_slice=window, request_params=self.event_params(window)))

        self._prefetched = cursor.bind_probe(probe)

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Optional[StreamSlice] = None) -> Iterable[Any]:
        window = stream_slice or StreamSlice(partition={}, cursor_slice={})
        events = self.stream_events.window()
        outcomes = (outcome for page, version in self._pages(window) for outcome in events.outcomes(page, version))
        newest = NewestPerObject()
        # Records are made here, not by the record selector: its transformations (`account_id`) are applied here.
        finishing = list(self.record_selector.transformations or ())

        def resolve(work: Work) -> List[Dict[str, Any]]:
            if isinstance(work, list):
                return [snapshot.record for snapshot in work]
            return self._rereads.records(work, window)  # type: ignore[union-attr]

        for records in bounded_map(resolve, work_items(outcomes), self.max_parallel_rereads):
            for data in newest.first(records):
                for transformation in finishing:
                    transformation.transform(data, config=self.config, stream_slice=window)
                yield Record(data=data, stream_name=self.name, associated_slice=window)

    def served_version(self, response: requests.Response) -> Optional[str]:
        """The API version Stripe served the page at (`Stripe-Version`), else the config's pinned one."""
        return response.headers.get(STRIPE_VERSION) or (self.config or {}).get("api_version") or None

    def _pages(self, window: StreamSlice) -> Iterator[Tuple[List[Mapping[str, Any]], Optional[str]]]:
        """The events of each page of the window with the version it was served at, following `starting_after`; the
        first page may be the density probe's."""
        params = self.event_params(window)
        response = self._prefetched.pop(window) if self._prefetched is not None else None
        while True:
            if response is None:
                response = self.requester.send_request(stream_slice=window, request_params=params)
            if response is None or response.status_code != 200:
                return  # an error the error handler IGNOREd
            body = json_body(response)
            data = [event for event in body.get("data") or [] if isinstance(event, Mapping)]
            yield data, self.served_version(response)
            if not body.get("has_more") or not data:
                return
            params = dict(params, starting_after=data[-1]["id"])
            response = None
