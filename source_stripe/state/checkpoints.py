"""The state a read writes for the streams read through Stripe's events, around the CDK's own messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, Mapping, Optional, Set

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    StreamDescriptor,
    TraceType,
    Type,
)

from source_stripe.state.cursors import BACKFILL_STARTED, CURSOR_FIELDS, UPDATED, epoch, flat_cursor, is_no_cursor_state


@dataclass
class EventCursorCheckpoints:
    """Rewrites the CDK's messages of one read for the streams read through events (object and child streams).

    - `backfills`: the streams whose list is read this time (first read, stale cursor, or an interrupted first read
      resumed) and when their backfill began. Their checkpoints carry `backfill_started`, so a killed read resumes
      the list rather than switching to the events from a cursor that only says how far the list got; their cursor
      at the end is when the backfill began, so the next sync reads the events of everything that changed during it.
    - Every other events-path stream's cursor moves up, at COMPLETE, to the time this read started if it is behind
      it. The CDK's cursor is the newest `updated` it saw, which for a quiet stream stays at the last change (or the
      start date) and would soon fall out of the retention, forcing a full re-read on every sync. Everything up to
      that time has been read (the events up to now), so it is safe.
    - `re_listed`: streams whose stale cursor made them read their list again. A listed record's `updated` is its
      `created`, older than the event snapshots the destination already holds; it is raised to the read's start, so
      that the current snapshot wins the destination's newest-`updated` deduplication.
    - Cursors are written as integers; a child stream's cursorless first-read state is not written (its cursor comes
      at COMPLETE).
    """

    streams: Iterable[str]
    started: int
    backfills: Mapping[str, int] = field(default_factory=dict)
    re_listed: Set[str] = field(default_factory=set)
    _streams: Set[str] = field(init=False)
    _cursors: Dict[str, Optional[int]] = field(init=False, default_factory=dict)
    _completed: Set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        self._streams = set(self.streams)

    def rewrite(self, messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        for message in messages:
            if message.type == Type.RECORD:
                if self.re_listed and message.record.stream in self.re_listed:
                    self._raise_updated(message)
                yield message
            elif message.type == Type.STATE and message.state and message.state.stream:
                rewritten = self._state(message)
                if rewritten is not None:
                    yield with_integer_cursor(rewritten)
            elif (
                message.type == Type.TRACE
                and message.trace.type == TraceType.STREAM_STATUS
                and message.trace.stream_status.status == AirbyteStreamStatus.COMPLETE
            ):
                name = message.trace.stream_status.stream_descriptor.name
                if name in self._streams:
                    self._completed.add(name)
                    since = self._cursor_at_end(name)
                    if name in self.backfills or (self._cursors.get(name) or 0) < since:
                        yield cursor_state_message(name, since)
                yield message
            else:
                yield message

    def _cursor_at_end(self, name: str) -> int:
        return self.backfills.get(name, self.started)

    def _state(self, message: AirbyteMessage) -> Optional[AirbyteMessage]:
        name = message.state.stream.stream_descriptor.name
        if name not in self._streams:
            return message
        stream_state = message.state.stream.stream_state
        if is_no_cursor_state(stream_state):
            return None
        since = self._cursor_at_end(name)
        if name in self._completed:
            # The CDK repeats its final state after the stream's COMPLETE status.
            if name in self.backfills or (flat_cursor(stream_state, UPDATED) or 0) < since:
                return cursor_state_message(name, since, message.state.sourceStats)
            return message
        if name in self.backfills:
            if stream_state is not None:
                setattr(stream_state, BACKFILL_STARTED, since)
            return message
        self._cursors[name] = flat_cursor(stream_state, UPDATED)
        return message

    def _raise_updated(self, message: AirbyteMessage) -> None:
        data = message.record.data
        updated = data.get(UPDATED)
        if not data.get("is_deleted") and (updated is None or updated < self.started):
            data[UPDATED] = self.started


def cursor_state_message(name: str, cursor: int, stats: Optional[AirbyteStateStats] = None) -> AirbyteMessage:
    """A STREAM state message `{"updated": <cursor>}`, with `stats` (records since the previous state; none by
    default)."""
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=name),
                stream_state=AirbyteStateBlob(**{UPDATED: int(cursor)}),
            ),
            sourceStats=stats or AirbyteStateStats(recordCount=0.0),
        ),
    )


def with_integer_cursor(message: AirbyteMessage) -> AirbyteMessage:
    """A STREAM state message whose `updated`/`created` cursor is written as an integer (the CDK writes a string)."""
    if message.type != Type.STATE or message.state is None or message.state.stream is None:
        return message
    stream_state = message.state.stream.stream_state
    if stream_state is None:
        return message
    for cursor_field in CURSOR_FIELDS:
        value = getattr(stream_state, cursor_field, None)
        if isinstance(value, str):
            number = epoch(value)
            if number is not None:
                setattr(stream_state, cursor_field, number)
    return message
