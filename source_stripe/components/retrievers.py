"""Incremental child streams: the children of each parent that changed since the cursor."""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import InitVar, dataclass, field
from typing import Any, Callable, Deque, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, TypeVar, Union

from airbyte_cdk.sources.declarative.requesters.request_options.request_options_provider import (
    RequestOptionsProvider,
)
from airbyte_cdk.sources.declarative.requesters.requester import Requester
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.types import Record, StreamSlice, StreamState

from source_stripe.components.parent_changes import ParentChange, ParentChangeLog
from source_stripe.components.response_body import json_body
from source_stripe.accounts.directory import account_keys
from source_stripe.components.transformations import account_fields
from source_stripe.components.windows import DensityWindowCursor, PrefetchedPages, ProbePage, probe_page
from source_stripe.concurrency import inner_pool_size

PARENT_ID = "parent_id"
T = TypeVar("T")
R = TypeVar("R")


def bounded_map(function: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """`function` over `items` in `workers` threads, results in input order, at most 2 × `workers` held at once.
    `items` is consumed as results are taken, so it may be a lazy stream (pages of parents)."""
    if workers <= 1 or (isinstance(items, Sequence) and len(items) <= 1):
        yield from map(function, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: Deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(function, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def with_slice(record: Any, window: StreamSlice) -> Any:
    """`record`, associated with the partition's slice `window` instead of the child slice it was listed with: the
    CDK's ConcurrentCursor keys what it observes of a partition by the slice the partition was read with."""
    if isinstance(record, Record) and record.associated_slice is not window:
        return Record(
            data=record.data,
            stream_name=record.stream_name,
            associated_slice=window,
            file_reference=record.file_reference,
        )
    return record


def window_params(window: Mapping[str, Any], start_key: str, end_key: str, limit: int = 100) -> Dict[str, Any]:
    """The query of a window's first list request: `limit`, and the window as `created[gte]` / `created[lte]`."""
    params: Dict[str, Any] = {"limit": limit}
    start, end = window.get(start_key), window.get(end_key)
    if start is not None:
        params["created[gte]"] = start
    if end is not None:
        params["created[lte]"] = end
    return params


@dataclass
class ParentIdQuery(RequestOptionsProvider):
    """Puts the slice's parent id into the query as `<name>=<id>` (`balance_transactions?payout=po_…`)."""

    name: str
    parameters: InitVar[Mapping[str, Any]] = None

    def get_request_params(
        self,
        *,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Mapping[str, Any]:
        parent_id = stream_slice.partition.get(PARENT_ID) if stream_slice is not None else None
        return {self.name: parent_id} if parent_id else {}

    def get_request_headers(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}

    def get_request_body_data(self, **kwargs: Any) -> Union[Mapping[str, Any], str]:
        return {}

    def get_request_body_json(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}


@dataclass
class ParentsChildrenRetriever(SimpleRetriever):
    """Lists the children of the parents a window names, several parents at once, as one partition of the stream.

    Subclasses say which parents a window names (`parents`): the parents created in it (the first read), or those
    changed in it (later reads). The children are listed with the retriever's own requester, paginator and record
    selector, exactly as a `SubstreamPartitionRouter` partition would list them, with the parent's id in the slice's
    partition (`parent_id`: the requester's path, or `$parameters.parent_query` for children listed as
    `?payout=po_…`) and the parent's time in its `extra_fields` (`updated`: `ChildSnapshotTransformation` sets it on
    each record). The window is the stream's `updated` cursor slice `[start_time, end_time]`: this reads the parents
    of that window through `parent_requester`, so the stream's state is one compact `{"updated": …}` cursor, never a
    blob per parent.
    """

    parent_requester: Optional[Requester] = None
    max_parallel_parents: int = 0
    window_start_key: str = "start_time"
    window_end_key: str = "end_time"
    _parent_field: str = field(init=False, default="")
    _prefetched: Optional[PrefetchedPages] = field(init=False, default=None)  # density probes' first pages

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        if self.parent_requester is None:
            raise ValueError(f"{type(self).__name__} needs a parent_requester")
        self._parent_field = str(parameters.get("parent_field") or "")
        if parameters.get("parent_query"):
            self.request_option_provider = ParentIdQuery(name=str(parameters["parent_query"]))
        if self.max_parallel_parents <= 0:
            self.max_parallel_parents = inner_pool_size(self.config or {})

    def parents(self, window: StreamSlice) -> Iterable[ParentChange]:
        raise NotImplementedError

    def parent_params(self, window: StreamSlice) -> Dict[str, Any]:
        """The query of the window's first request for parents."""
        return self._window_params(window)

    def bind_windows(self, cursor: DensityWindowCursor) -> None:
        """Density windows (`window_pages` on the stream's cursor): the cursor plans the windows by probing the
        parents' requests (the first request of a window ending at each probe point), and each probe's page is the
        first page of the window it ends."""

        def probe(lo: int, point: int) -> ProbePage:
            window = cursor.window_slice(lo, point)
            response = self.parent_requester.send_request(stream_slice=window, request_params=self.parent_params(window))  # type: ignore[union-attr]
            return probe_page(point, response)

        self._prefetched = cursor.bind_probe(probe)

    def read_records(
        self,
        records_schema: Mapping[str, Any],
        stream_slice: Optional[StreamSlice] = None,
    ) -> Iterable[Any]:
        window = stream_slice or StreamSlice(partition={}, cursor_slice={})
        for parent, records in self._listings(records_schema, self.parents(window), window):
            for record in records:
                yield with_slice(record, window)
            listed = [str(record["id"]) for record in records if "id" in record]
            yield from self._removals(parent, parent.removed_children(listed), window)

    def _listings(
        self, records_schema: Mapping[str, Any], parents: Iterable[ParentChange], window: StreamSlice
    ) -> Iterator[tuple[ParentChange, List[Record]]]:
        """(parent, its children) for each parent, listed `max_parallel_parents` at a time, in the parents' order."""

        def listing(parent: ParentChange) -> tuple[ParentChange, List[Record]]:
            return parent, self._list_children(records_schema, parent, window)

        return bounded_map(listing, parents, self.max_parallel_parents)

    def _window_params(self, window: StreamSlice) -> Dict[str, Any]:
        return window_params(window, self.window_start_key, self.window_end_key)

    def _pages(self, window: StreamSlice) -> Iterator[List[Mapping[str, Any]]]:
        """The `data` of each page of the window's parents, following `starting_after`; the first page may be the
        density probe's."""
        params = self.parent_params(window)
        response = self._prefetched.pop(window) if self._prefetched is not None else None
        while True:
            if response is None:
                response = self.parent_requester.send_request(stream_slice=window, request_params=params)  # type: ignore[union-attr]
                if response is None:
                    return
            body = json_body(response)
            data = body.get("data") or []
            yield data
            if not body.get("has_more") or not data:
                return
            params = dict(params, starting_after=data[-1]["id"])
            response = None

    def _list_children(self, records_schema: Mapping[str, Any], parent: ParentChange, window: StreamSlice) -> List[Record]:
        # The window's account (a Connect read's partition) goes with it: the children are that account's.
        child_slice = StreamSlice(
            partition={PARENT_ID: parent.parent_id, **account_keys(window)}, cursor_slice={}, extra_fields={"updated": parent.at}
        )
        return list(SimpleRetriever.read_records(self, records_schema, child_slice))

    def _removals(self, change: ParentChange, child_ids: Iterable[str], window: StreamSlice) -> Iterator[Record]:
        for child_id in child_ids:
            data = {"id": child_id, "updated": change.at, "is_deleted": True}
            if self._parent_field:
                data[self._parent_field] = change.parent_id
            for transformation in account_fields(self.record_selector.transformations):
                transformation.transform(data, config=self.config, stream_slice=window)
            yield Record(data=data, stream_name=self.name, associated_slice=window)


@dataclass
class ListedParentsChildrenRetriever(ParentsChildrenRetriever):
    """The first read of a child stream: the children of the parents created in the window.

    `parent_requester` lists the parents (`created[gte]`/`created[lte]` = the window, plus its own query, e.g.
    `status=all` for subscriptions); each parent's children are listed as its page arrives, `updated` = the parent's
    `created`. The stream's state after each window is `{"updated": <end of the windows read>}`, which the connector
    marks as a backfill checkpoint, so a killed first read resumes from its last window.

        retriever:
          type: CustomRetriever
          class_name: source_stripe.components.retrievers.ListedParentsChildrenRetriever
          parent_requester: {$ref: "#/definitions/requester", path: "{{ parameters.parent_path }}"}
          requester: {$ref: "#/definitions/requester"}
          record_selector: {$ref: "#/definitions/record_selector"}
          paginator: {$ref: "#/definitions/paginator"}
    """

    def parents(self, window: StreamSlice) -> Iterator[ParentChange]:
        for page in self._pages(window):
            for parent in page:
                if parent.get("id"):
                    yield ParentChange(parent_id=str(parent["id"]), at=int(parent.get("created") or 0), deleted=False)


@dataclass
class ChangedParentsChildrenRetriever(ParentsChildrenRetriever):
    """Later reads of a child stream whose children have no events of their own (invoice lines, subscription items,
    transfer reversals, …): the children of the parents changed in the window.

    `parent_requester` reads `/v1/events?types[]=<parent_event_types>` for the window; each parent's newest event
    counts (`ParentChangeLog`), so a parent's children are listed once per window, `updated` = the event's time. A
    deleted parent is not listed (Stripe answers 404); the children it embedded, and the children an event's
    `previous_attributes` show were taken from a parent (`$parameters.embedded`: the parent field listing them), are
    emitted as `{"id", <parent_field>, "updated", "is_deleted": true}` so that the destination learns they are gone.

        retriever:
          type: CustomRetriever
          class_name: source_stripe.components.retrievers.ChangedParentsChildrenRetriever
          parent_requester: {$ref: "#/definitions/requester", path: events}
          requester: {$ref: "#/definitions/requester"}
          record_selector: {$ref: "#/definitions/record_selector"}
          paginator: {$ref: "#/definitions/paginator"}
    """

    _event_types: List[str] = field(init=False, default_factory=list)
    _embedded: Optional[str] = field(init=False, default=None)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._event_types = list(parameters.get("parent_event_types") or [])
        if not self._event_types:
            raise ValueError("ChangedParentsChildrenRetriever needs $parameters.parent_event_types")
        self._embedded = parameters.get("embedded") or None

    def parents(self, window: StreamSlice) -> Iterator[ParentChange]:
        """Live changed parents first (listed), then deleted ones (their embedded children flagged)."""
        changes = self.changed_parents(window)
        yield from (change for change in changes if not change.deleted)
        yield from (change for change in changes if change.deleted)

    def parent_params(self, window: StreamSlice) -> Dict[str, Any]:
        return dict(self._window_params(window), **{"types[]": self._event_types})

    def changed_parents(self, window: StreamSlice) -> List[ParentChange]:
        """The window's parent changes, one per parent, from `/v1/events` (all pages, newest first)."""
        log = ParentChangeLog(embedded=self._embedded)
        for events in self._pages(window):
            for event in events:
                log.add(event)
        return log.changes()

    def _list_children(self, records_schema: Mapping[str, Any], parent: ParentChange, window: StreamSlice) -> List[Record]:
        return [] if parent.deleted else super()._list_children(records_schema, parent, window)
