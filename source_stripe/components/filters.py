"""Record filters for the events path."""

from __future__ import annotations

import threading
from dataclasses import InitVar, dataclass, field
from typing import Any, Dict, Iterable, Mapping, Optional, Set

from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.types import StreamSlice, StreamState


@dataclass
class NewestSnapshotFilter(RecordFilter):
    """Keeps only the first record per object id within one partition (stream slice).

    `/v1/events` lists newest first, so the first event of an object in a window carries its newest snapshot; later
    (older) ones are dropped. Memory: the ids seen so far per slice, i.e. only the objects changed in this sync.
    Thread-safe: the concurrent CDK reads several slices at once through one instance.

        record_filter:
          type: CustomRecordFilter
          class_name: source_stripe.components.filters.NewestSnapshotFilter
    """

    parameters: InitVar[Mapping[str, Any]]
    _seen: Dict[Any, Set[Any]] = field(init=False, default_factory=dict)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass  # no condition to compile

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        with self._lock:
            seen = self._seen.setdefault(stream_slice, set())
        for record in records:
            object_id = record.get("id")
            if object_id in seen:
                continue
            seen.add(object_id)
            yield record
