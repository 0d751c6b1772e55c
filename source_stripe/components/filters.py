"""Record filters for the events path."""

from __future__ import annotations

import threading
from dataclasses import InitVar, dataclass, field
from typing import Any, Iterable, Mapping, Optional, Set

from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.types import StreamSlice, StreamState


@dataclass
class NewestSnapshotFilter(RecordFilter):
    """Keeps only the first record per object id within one partition (stream slice).

    `/v1/events` lists newest first, so the first event of an object in a window carries its newest snapshot; later
    (older) ones are dropped. The concurrent CDK reads a partition from start to end in one worker thread, several
    partitions at once through this one instance, so the ids seen are kept per thread for the window it is reading
    and forgotten when it moves to the next: memory is bounded by the objects changed in the windows being read, not
    by the whole sync. (An object changed in two windows is emitted once per window: an at-least-once duplicate.)

        record_filter:
          type: CustomRecordFilter
          class_name: source_stripe.components.filters.NewestSnapshotFilter
    """

    parameters: InitVar[Mapping[str, Any]]
    _reading: threading.local = field(init=False, default_factory=threading.local)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass  # no condition to compile

    def _seen_in(self, stream_slice: Optional[StreamSlice]) -> Set[Any]:
        reading = self._reading
        if getattr(reading, "window", None) != stream_slice or not hasattr(reading, "seen"):
            reading.window = stream_slice
            reading.seen = set()
        return reading.seen

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        seen = self._seen_in(stream_slice)
        for record in records:
            object_id = record.get("id")
            if object_id in seen:
                continue
            seen.add(object_id)
            yield record


@dataclass
class NewestChildSnapshotFilter(NewestSnapshotFilter):
    """`NewestSnapshotFilter` for child objects read from their own events (payment methods, customer sources).

    Keeps only objects of the stream's kind (`$parameters.event_object`: `customer.source.*` events carry cards and
    bank accounts alike) that belong to a parent (`$parameters.parent_field` set: a payment method attached to no
    customer is no row of the stream), or that the event removed (`is_deleted`: a detached payment method has no
    customer any more).

        record_filter:
          type: CustomRecordFilter
          class_name: source_stripe.components.filters.NewestChildSnapshotFilter
        # with $parameters: {event_object: card, parent_field: customer}
    """

    _object: str = field(init=False, default="")
    _parent_field: str = field(init=False, default="")

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._object = str(parameters.get("event_object") or "")
        self._parent_field = str(parameters.get("parent_field") or "")
        if not self._object or not self._parent_field:
            raise ValueError("NewestChildSnapshotFilter needs $parameters.event_object and $parameters.parent_field")

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        own = (
            record
            for record in records
            if record.get("object") == self._object and (record.get(self._parent_field) or record.get("is_deleted"))
        )
        return super().filter_records(own, stream_state, stream_slice, next_page_token)
