"""Which saved `updated` cursors are older than Stripe keeps events, so that their stream re-reads its list.

Stripe keeps events 30 days (https://docs.stripe.com/api/events). manifest.yaml's events-backed stream kinds say how
long a cursor may be (`api_retention_period`, one day short of that for the sync's own duration); the CDK's
StateDelegatingStream then reads the list instead of the events, and this module names the streams for a WARN.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

import isodate

from source_stripe.state.cursors import UPDATED, flat_cursor


def retention_periods(resolved_manifest: Mapping[str, Any]) -> Dict[str, timedelta]:
    """{stream name: api_retention_period} of the StateDelegatingStream rows of a manifest whose `$ref`s are
    resolved."""
    periods: Dict[str, timedelta] = {}
    for stream in resolved_manifest.get("streams") or []:
        if stream.get("type") == "StateDelegatingStream" and stream.get("api_retention_period"):
            name = stream.get("name") or stream["$parameters"]["name"]
            periods[name] = isodate.parse_duration(stream["api_retention_period"])
    return periods


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
        if name not in periods or name not in states:
            continue
        seconds = flat_cursor(states[name], UPDATED)
        if seconds is None:
            continue
        cursor = datetime.fromtimestamp(seconds, timezone.utc)
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
