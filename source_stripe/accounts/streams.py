"""An object stream of a Connect read: one stream whose accounts each take the path their cursor calls for."""

from __future__ import annotations

import itertools
import logging
from typing import Iterable

from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator


class BothPaths(PartitionGenerator):
    """The partitions of the events path (accounts with a fresh cursor), then of the list path (accounts backfilling):
    the incremental reads of the accounts are not queued behind the backfills of others."""

    def __init__(self, events_path: DefaultStream, list_path: DefaultStream) -> None:
        self._events_path = events_path
        self._list_path = list_path

    def generate(self) -> Iterable[Partition]:
        return itertools.chain(self._events_path.generate_partitions(), self._list_path.generate_partitions())


def account_path_stream(events_path: DefaultStream, list_path: DefaultStream, cursor: Cursor) -> DefaultStream:
    """One stream of both paths (CDK DefaultStreams built from the row's `incremental_stream` and
    `full_refresh_stream`), described as its events path is (schema, primary key, cursor field), its state the
    accounts' cursors (`cursor`, shared by both paths' AccountWindows)."""
    airbyte_stream = events_path.as_airbyte_stream()
    primary_key = airbyte_stream.source_defined_primary_key or []
    return DefaultStream(
        partition_generator=BothPaths(events_path, list_path),
        name=events_path.name,
        json_schema=events_path.get_json_schema,
        primary_key=[path[0] if len(path) == 1 else ".".join(path) for path in primary_key],
        cursor_field=getattr(cursor, "cursor_field", None),
        logger=logging.getLogger(f"airbyte.{events_path.name}"),
        cursor=cursor,
    )
