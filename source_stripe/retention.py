"""Which saved `updated` cursors are older than Stripe's event retention (so the sync re-reads the list)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import isodate
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
    Type,
)

CURSOR_FIELD = "updated"


def retention_periods(resolved_manifest: Mapping[str, Any]) -> Dict[str, timedelta]:
    """{stream name: api_retention_period} of the manifest's StateDelegatingStream rows."""
    periods: Dict[str, timedelta] = {}
    for stream in resolved_manifest.get("streams") or []:
        if stream.get("type") == "StateDelegatingStream" and stream.get("api_retention_period"):
            name = stream.get("name") or stream["$parameters"]["name"]
            periods[name] = isodate.parse_duration(stream["api_retention_period"])
    return periods


def stream_states(state: Optional[Iterable[AirbyteStateMessage]]) -> Dict[str, Mapping[str, Any]]:
    """{stream name: stream_state} of the STREAM state messages."""
    states: Dict[str, Mapping[str, Any]] = {}
    for message in state or []:
        if message.type == AirbyteStateType.STREAM and message.stream and message.stream.stream_state is not None:
            states[message.stream.stream_descriptor.name] = dict(vars(message.stream.stream_state))
    return states


def stale_cursors(
    periods: Mapping[str, timedelta],
    states: Mapping[str, Mapping[str, Any]],
    selected: Iterable[str],
    now: Optional[datetime] = None,
) -> List[Tuple[str, datetime, timedelta]]:
    """(stream, cursor time, period) of each selected stream whose `updated` cursor is older than its period."""
    now = now or datetime.now(timezone.utc)
    stale = []
    for name in selected:
        value = (states.get(name) or {}).get(CURSOR_FIELD)
        if name not in periods or value in (None, ""):
            continue
        try:
            cursor = datetime.fromtimestamp(int(float(value)), timezone.utc)
        except (TypeError, ValueError):
            continue
        if cursor < now - periods[name]:
            stale.append((name, cursor, periods[name]))
    return stale


def stale_cursor_message(name: str, cursor: datetime, period: timedelta, now: Optional[datetime] = None) -> str:
    now = now or datetime.now(timezone.utc)
    gap_days = (now - cursor).total_seconds() / 86400
    return (
        f"Stream '{name}': the saved cursor {cursor.strftime('%Y-%m-%dT%H:%M:%SZ')} is {gap_days:.1f} days old, "
        f"beyond Stripe's event retention ({period.days} days used, Stripe keeps 30): the events in between are gone, "
        f"so the whole list is read again and the cursor restarts."
    )


def cursor_of(stream_state: Any) -> Optional[float]:
    """The `updated` cursor (epoch seconds) of a stream state blob or mapping, None when absent."""
    if stream_state is None:
        return None
    values = stream_state if isinstance(stream_state, Mapping) else vars(stream_state)
    try:
        return float(values[CURSOR_FIELD])
    except (KeyError, TypeError, ValueError):
        return None


def read_start_state(name: str, started: int, stats: Optional[AirbyteStateStats] = None) -> AirbyteMessage:
    """A STREAM state message `{"updated": <started>}`, with `stats` (records since the previous state; none by
    default)."""
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=name),
                stream_state=AirbyteStateBlob(**{CURSOR_FIELD: int(started)}),
            ),
            sourceStats=stats or AirbyteStateStats(recordCount=0.0),
        ),
    )
