"""The state a read is given, made into the one flat cursor per stream that the CDK's cursors read.

The CDK reads cursors as strings (its `%s` datetime format), so integer cursors become strings, and state written by
Airbyte's Stripe connector 5.x (string cursors, nested per-partition or global blobs for child streams) is flattened to
the one cursor value it guarantees (`cursors.flat_cursor`).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Iterable, List, Mapping, Optional

from airbyte_cdk.models import AirbyteStateBlob, AirbyteStateMessage, AirbyteStateType, AirbyteStreamState

from source_stripe.accounts.cursors import is_account_state, platform_state
from source_stripe.state.cursors import BACKFILL_STARTED, backfill_started, blob, flat_cursor

logger = logging.getLogger("airbyte")


def cursor_fields(resolved_manifest: Mapping[str, Any]) -> Dict[str, str]:
    """{stream name: cursor field} of every incremental stream of a manifest whose `$ref`s are resolved (for a
    StateDelegatingStream, its incremental path's)."""
    fields: Dict[str, str] = {}
    for stream in resolved_manifest.get("streams") or []:
        name = stream.get("name") or (stream.get("$parameters") or {}).get("name")
        definition = stream.get("incremental_stream") if stream.get("type") == "StateDelegatingStream" else stream
        cursor = ((definition or {}).get("incremental_sync") or {}).get("cursor_field")
        if name and cursor:
            fields[name] = cursor
    return fields


def stream_states(state: Optional[Iterable[AirbyteStateMessage]]) -> Dict[str, Dict[str, Any]]:
    """{stream name: stream_state as a dict} of the STREAM state messages."""
    return {
        message.stream.stream_descriptor.name: blob(message.stream.stream_state)
        for message in state or []
        if message.type == AirbyteStateType.STREAM and message.stream and message.stream.stream_state is not None
    }


def normalize_input_state(
    state: Optional[Iterable[AirbyteStateMessage]], fields: Mapping[str, str]
) -> Optional[List[AirbyteStateMessage]]:
    """The state messages with each known stream's cursor as `{field: "<epoch>"}`, the form the CDK reads (plus
    `backfill_started` when the state is an interrupted first read).

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
        values = blob(message.stream.stream_state)
        if name in fields and is_account_state(values):  # written by a Connect read: the platform's cursor
            values = platform_state(values, fields[name]) or {"accounts": "no cursor of the platform"}
        if name not in fields or not values:
            normalized.append(message)
            continue
        cursor = flat_cursor(values, fields[name])
        if cursor is None:
            logger.warning(
                f"Stream '{name}': the saved state has no '{fields[name]}' cursor this connector can read "
                f"(keys: {sorted(values)}); the stream is read again from start_date."
            )
            continue
        flat: Dict[str, Any] = {fields[name]: str(cursor)}
        started = backfill_started(values)
        if started is not None:
            flat[BACKFILL_STARTED] = started
        normalized.append(
            AirbyteStateMessage(
                type=AirbyteStateType.STREAM,
                stream=AirbyteStreamState(
                    stream_descriptor=message.stream.stream_descriptor, stream_state=AirbyteStateBlob(**flat)
                ),
            )
        )
    return normalized
