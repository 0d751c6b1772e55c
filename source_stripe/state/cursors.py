"""What a stream state holds: the cursor fields, the one cursor parser, and the backfill marker."""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

UPDATED = "updated"
CREATED = "created"
# Every cursor field a stream of this connector has: `updated` (read through events), `created` (append-only).
CURSOR_FIELDS = (UPDATED, CREATED)

# An events-backed stream's first read (its list, in `created` windows) checkpoints as `{"updated": <end of the
# windows read>, "backfill_started": <when that first read started>}`. Such a state resumes the list from its cursor
# instead of switching to the events (objects created after the cursor may have no event), and the stream's cursor at
# the end of the list is `backfill_started`, so that the events of everything changed during the backfill are read.
BACKFILL_STARTED = "backfill_started"

# The CDK's state of a stream read without a cursor.
NO_CURSOR_STATE_KEY = "__ab_no_cursor_state_message"


def epoch(value: Any) -> Optional[int]:
    """A cursor value (an int, or a numeric string as the CDK writes it) as whole epoch seconds, else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return None


def blob(stream_state: Any) -> Dict[str, Any]:
    """A stream state (an AirbyteStateBlob, a mapping, or None) as a plain dict."""
    if stream_state is None:
        return {}
    if isinstance(stream_state, Mapping):
        return dict(stream_state)
    return dict(vars(stream_state))


def flat_cursor(stream_state: Any, field: str = UPDATED) -> Optional[int]:
    """The one cursor value a stream state guarantees, as epoch seconds, or None.

    Accepts our own shape (`{"updated": 1700000000}` or the string `"1700000000"`), the other cursor name (a
    `created` cursor for an `updated` stream: nothing created or changed before it is missing either way), and
    the nested shapes of the CDK's substream cursors as Airbyte 5.x wrote them: a global cursor
    (`{"state": {"updated": …}}`), per-partition cursors (`{"states": [{"partition": …, "cursor": {…}}]}`,
    of which the oldest is the one everything is read up to) and `parent_state` (ignored: the parent's progress is
    not the child's).
    """
    values = blob(stream_state)
    for name in (field, *(other for other in CURSOR_FIELDS if other != field)):
        value = epoch(values.get(name))
        if value is not None:
            return value
    nested = values.get("state")
    if isinstance(nested, Mapping):
        value = flat_cursor(nested, field)
        if value is not None:
            return value
    partitions = values.get("states")
    if isinstance(partitions, list):
        cursors = [
            flat_cursor(partition["cursor"], field)
            if isinstance(partition, Mapping) and isinstance(partition.get("cursor"), Mapping)
            else None
            for partition in partitions
        ]
        if cursors and all(cursor is not None for cursor in cursors):
            return min(cursor for cursor in cursors if cursor is not None)
    return None


def backfill_started(stream_state: Any) -> Optional[int]:
    """The start time of the interrupted first read a state resumes, or None for an ordinary cursor."""
    return epoch(blob(stream_state).get(BACKFILL_STARTED))


def is_no_cursor_state(stream_state: Any) -> bool:
    """True for the CDK's state of a stream read without a cursor (`{"__ab_no_cursor_state_message": true}`)."""
    return bool(blob(stream_state).get(NO_CURSOR_STATE_KEY))
