"""Lists that Stripe filters by default, read whole.

Some Stripe lists return only part of their objects unless asked (scripts/stripe_api_coverage.py, DEFAULT_FILTERS):
`/v1/prices` lists active prices only ("For the list of inactive prices, set active to false"), `/v1/reviews` open
reviews only, and has no filter for the others. The first read of such a stream (and its re-list after the 30-day
events retention) reads each `created` window twice: the row's own list, then an `also` list that reaches what the
first leaves out, either

- the same list with more query (the row's `also_query`: prices with `active=false`), or
- the objects that another list's objects embed (the row's `embedded_in`: the reviews of the charges created in the
  window, expanded with `expand[]=data.review`), except those the row's own list has (`unless`: open reviews).

A window stays one partition of the stream: it counts as read (and the state moves past it) only when both lists are
read, so a killed first read resumes without loss, and the state stays one cursor. An object is emitted once per
window, its first read. Density windows (windows.py) are planned on one of the two lists, the one that holds most
objects (`windows_from`); its probe pages are served as that list's first pages, never as the other's.
"""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any, Iterable, Iterator, Mapping, MutableMapping, Optional, Set

import requests
from airbyte_cdk.sources.declarative.extractors.http_selector import HttpSelector
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.requesters.requester import Requester
from airbyte_cdk.sources.declarative.requesters.request_options.request_options_provider import (
    RequestOptionsProvider,
)
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.types import Record, StreamSlice

from source_stripe.components.response_body import json_body
from source_stripe.components.windows import DensityWindowCursor

# Which of the two lists the density windows are planned on.
WINDOWS_FROM = ("self", "also")


@dataclass
class EmbeddedObjectExtractor(RecordExtractor):
    """The objects that the objects of a Stripe list page embed at one field, expanded (a charge's `review`, listed
    with `expand[]=data.review`). A field holding an id (not expanded) or null is no object; an embedded object
    whose fields match all of `unless` is left out (the stream's own list has it).

        extractor:
          type: CustomRecordExtractor
          class_name: source_stripe.components.also_lists.EmbeddedObjectExtractor
        # with $parameters: {embedded_in: {path: charges, field: review, unless: {open: true}}}
    """

    parameters: InitVar[Mapping[str, Any]]
    embedded_field: str = ""
    unless: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        embedded_in = parameters.get("embedded_in") or {}
        self.embedded_field = self.embedded_field or str(embedded_in.get("field") or "")
        self.unless = dict(self.unless or embedded_in.get("unless") or {})
        if not self.embedded_field:
            raise ValueError("EmbeddedObjectExtractor needs the field the objects are embedded at (embedded_in.field)")

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        for listed in json_body(response).get("data") or []:
            embedded = listed.get(self.embedded_field) if isinstance(listed, dict) else None
            if isinstance(embedded, dict) and embedded.get("id") and not self.is_listed_anyway(embedded):
                yield embedded

    def is_listed_anyway(self, embedded: Mapping[str, Any]) -> bool:
        return bool(self.unless) and all(embedded.get(name) == value for name, value in self.unless.items())


class FirstReadInWindow:
    """The ids emitted in one window so far: an object read by both lists of a window (archived between the two
    reads, say) is emitted once, as it was read first."""

    def __init__(self) -> None:
        self._ids: Set[str] = set()

    def first(self, record: Mapping[str, Any]) -> bool:
        """True the first time the window sees `record`'s id (and for a record without id)."""
        record_id = record.get("id")
        if record_id is None:
            return True
        if record_id in self._ids:
            return False
        self._ids.add(record_id)
        return True


def within_window(record: Any, cursor_field: str, window_end: Optional[int]) -> Any:
    """`record`, its cursor lowered to `window_end` when past it. A review read through its charge may have been
    opened after the end of its charge's window; the stream's state is the newest cursor of the windows read, and
    must not pass windows not read yet (a resumed read starts there)."""
    if window_end is None or not isinstance(record, Record):
        return record
    value = record.data.get(cursor_field)
    if isinstance(value, int) and value > window_end:
        record.data[cursor_field] = window_end  # type: ignore[index]
    return record


@dataclass
class AlsoListRetriever(SimpleRetriever):
    """The first read of a list that Stripe filters by default (see the module docstring): each window is read with
    this retriever (the row's list), then with `also`, in one partition, each object once.

    `also` is this retriever with `also_requester` (the other path or query) and, when given, `also_record_selector`
    (embedded objects): same paginator, same window (`request_options_provider`: the window's `created[gte]` and
    `created[lte]`, as the CDK's factory hands it to a stream's retriever; a custom retriever gets it under that
    name), same transformations. With density windows, the stream's cursor plans them on this list
    (`windows_from: self`) or on `also`'s (`windows_from: also`: the charges, far more than the open reviews), and
    serves its probe pages to that list only.

        retriever:
          type: CustomRetriever
          class_name: source_stripe.components.also_lists.AlsoListRetriever
          requester: {$ref: "#/definitions/requester"}
          record_selector: {$ref: "#/definitions/record_selector"}
          paginator: {$ref: "#/definitions/paginator", $parameters: {url_base: …}}
          also_requester: {$ref: "#/definitions/requester", request_parameters: {active: "false"}}
    """

    also_requester: Optional[Requester] = None
    also_record_selector: Optional[HttpSelector] = None
    request_options_provider: Optional[RequestOptionsProvider] = None
    windows_from: str = "self"
    cursor_field: str = "updated"
    window_end_key: str = "end_time"
    also: SimpleRetriever = field(init=False)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        if self.also_requester is None:
            raise ValueError(f"{type(self).__name__} needs `also_requester`, the requester of the other list")
        if self.windows_from not in WINDOWS_FROM:
            raise ValueError(f"windows_from is one of {WINDOWS_FROM}, not {self.windows_from!r}")
        if self.request_options_provider is not None:
            self.request_option_provider = self.request_options_provider
        self.also = SimpleRetriever(
            requester=self.also_requester,
            record_selector=self.also_record_selector or self.record_selector,
            paginator=self.paginator,
            request_option_provider=self.request_option_provider,
            config=self.config,
            parameters=parameters,
            name=self.name,
            primary_key=self.primary_key,
        )

    def bind_windows(self, cursor: DensityWindowCursor) -> None:
        """Density windows: the cursor probes the list `windows_from` names, and each probe page becomes the first
        page of that list in the window the probe ends; the other list sends all its requests itself."""
        cursor.bind(self.also if self.windows_from == "also" else self)

    def read_records(
        self,
        records_schema: Mapping[str, Any],
        stream_slice: Optional[StreamSlice] = None,
    ) -> Iterable[Any]:
        window = stream_slice or StreamSlice(partition={}, cursor_slice={})
        window_end = self.window_end(window)
        emitted = FirstReadInWindow()
        for item in self.both_lists(records_schema, window):
            if isinstance(item, Mapping) and not emitted.first(item):
                continue
            yield within_window(item, self.cursor_field, window_end)

    def both_lists(self, records_schema: Mapping[str, Any], window: StreamSlice) -> Iterator[Any]:
        yield from super().read_records(records_schema, window)
        yield from self.also.read_records(records_schema, window)

    def window_end(self, window: StreamSlice) -> Optional[int]:
        end = window.cursor_slice.get(self.window_end_key) if window.cursor_slice else None
        return int(end) if end is not None else None
