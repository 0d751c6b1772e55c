"""Stream state in and out: one flat cursor per stream, `{"updated": <int>}` or `{"created": <int>}`.

In: the CDK reads cursors as strings (its `%s` datetime format), so integer cursors are turned into strings, and
state written by Airbyte's Stripe connector 5.x (string cursors, nested per-partition or global blobs for child
streams) is flattened to the one cursor value it guarantees. Out: cursors are written as integers.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    Type,
)

CURSOR_FIELDS = ("updated", "created")
logger = logging.getLogger("airbyte")


def cursor_fields(resolved_manifest: Mapping[str, Any]) -> Dict[str, str]:
    """{stream name: cursor field} of every incremental stream of the manifest (for a StateDelegatingStream, its
    incremental path's)."""
    fields: Dict[str, str] = {}
    for stream in resolved_manifest.get("streams") or []:
        name = stream.get("name") or (stream.get("$parameters") or {}).get("name")
        definition = stream.get("incremental_stream") if stream.get("type") == "StateDelegatingStream" else stream
        cursor = ((definition or {}).get("incremental_sync") or {}).get("cursor_field")
        if name and cursor:
            fields[name] = cursor
    return fields


def _as_epoch(value: Any) -> Optional[int]:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def flat_cursor(stream_state: Mapping[str, Any], field: str) -> Optional[int]:
    """The one cursor value a stream state guarantees, as epoch seconds, or None.

    Accepts our own shape (`{"updated": 1700000000}` or the string `"1700000000"`), the other cursor name (a
    `created` cursor for an `updated` stream: nothing created or changed before it is missing either way), and
    the nested shapes of the CDK's substream cursors as Airbyte 5.x wrote them: a global cursor
    (`{"state": {"updated": …}}`), per-partition cursors (`{"states": [{"partition": …, "cursor": {…}}]}`,
    of which the oldest is the one everything is read up to) and `parent_state` (ignored: the parent's progress is
    not the child's).
    """
    for name in (field, *(other for other in CURSOR_FIELDS if other != field)):
        value = _as_epoch(stream_state.get(name))
        if value is not None:
            return value
    nested = stream_state.get("state")
    if isinstance(nested, Mapping):
        value = flat_cursor(nested, field)
        if value is not None:
            return value
    partitions = stream_state.get("states")
    if isinstance(partitions, list):
        values = [
            flat_cursor(partition["cursor"], field)
            if isinstance(partition, Mapping) and isinstance(partition.get("cursor"), Mapping)
            else None
            for partition in partitions
        ]
        if values and all(value is not None for value in values):
            return min(value for value in values if value is not None)
    return None


def _blob(stream_state: Any) -> Dict[str, Any]:
    if stream_state is None:
        return {}
    if isinstance(stream_state, Mapping):
        return dict(stream_state)
    return dict(vars(stream_state))


def normalize_input_state(
    state: Optional[Iterable[AirbyteStateMessage]], fields: Mapping[str, str]
) -> Optional[List[AirbyteStateMessage]]:
    """The state messages with each known stream's cursor as `{field: "<epoch>"}`, the form the CDK reads.

    A state of a known stream with no usable cursor is dropped with a WARN naming the stream: that stream starts
    over (a full read), which loses nothing. Other messages (unknown streams, legacy or global state) pass as they
    are.
    """
    if state is None:
        return None
    normalized: List[AirbyteStateMessage] = []
    for message in state:
        if message.type != AirbyteStateType.STREAM or message.stream is None:
            normalized.append(message)
            continue
        name = message.stream.stream_descriptor.name
        blob = _blob(message.stream.stream_state)
        if name not in fields or not blob:
            normalized.append(message)
            continue
        value = flat_cursor(blob, fields[name])
        if value is None:
            logger.warning(
                f"Stream '{name}': the saved state has no '{fields[name]}' cursor this connector can read "
                f"(keys: {sorted(blob)}); the stream is read again from start_date."
            )
            continue
        flat: Dict[str, Any] = {fields[name]: str(value)}
        backfill_started = _as_epoch(blob.get(BACKFILL_STARTED))
        if backfill_started is not None:
            flat[BACKFILL_STARTED] = backfill_started
        normalized.append(
            AirbyteStateMessage(
                type=AirbyteStateType.STREAM,
                stream=AirbyteStreamState(
                    stream_descriptor=message.stream.stream_descriptor,
                    stream_state=AirbyteStateBlob(**flat),
                ),
            )
        )
    return normalized


# An object stream's first read (its list, in `created` windows) checkpoints as `{"updated": <end of the windows
# read>, "backfill_started": <when that first read started>}`. Such a state resumes the list from its cursor instead of
# switching to the events (objects created after the cursor may have no event), and the stream's cursor at the end of
# the list is `backfill_started`, so that the events of everything that changed during the whole backfill are read.
BACKFILL_STARTED = "backfill_started"


def backfill_started(stream_state: Any) -> Optional[int]:
    """The start time of the interrupted first read a state resumes, or None for an ordinary cursor."""
    return _as_epoch(_blob(stream_state).get(BACKFILL_STARTED))


def with_integer_cursor(message: AirbyteMessage) -> AirbyteMessage:
    """A STREAM state message whose `updated`/`created` cursor is written as an integer (the CDK writes a string)."""
    if message.type != Type.STATE or message.state is None or message.state.stream is None:
        return message
    blob = message.state.stream.stream_state
    if blob is None:
        return message
    for field in CURSOR_FIELDS:
        value = getattr(blob, field, None)
        if isinstance(value, str):
            number = _as_epoch(value)
            if number is not None:
                setattr(blob, field, number)
    return message


NO_CURSOR_STATE_KEY = "__ab_no_cursor_state_message"


def is_no_cursor_state(stream_state: Any) -> bool:
    """True for the CDK's state of a stream read without a cursor (`{"__ab_no_cursor_state_message": true}`)."""
    return bool(_blob(stream_state).get(NO_CURSOR_STATE_KEY))
