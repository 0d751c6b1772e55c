"""Which streams of a read go through Stripe's events, and the one events pass that answers them all.

A StateDelegatingStream (manifest.yaml's `evented_*`, `following_child_stream`, `own_evented_child_stream`) reads
its events when it has a cursor within Stripe's event retention and is not resuming its first read; otherwise it
reads its list. The pass covers the streams on the events path: the union of the event types they read (their own
`event_types`, their parent's `parent_event_types`, and `reread_on` types), from the oldest of their cursors minus
the events overlap to the read's `events_until`, which ends every events window of the read (manifest.yaml).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, FrozenSet, Iterable, Mapping, Optional, Set

from source_stripe.accounts.directory import STRIPE_ACCOUNT
from source_stripe.components.events_pass import EventsPass, ServedEvents, pass_bounds
from source_stripe.components.response_body import json_body
from source_stripe.manifest import row_name
from source_stripe.state.cursors import UPDATED, flat_cursor  # flat_cursor falls back to `created`

# The config key that ends every events window of a read (manifest.yaml: `events_cursor`, `child_windows`).
EVENTS_UNTIL = "events_until"
EVENTS_UNTIL_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# Row parameters naming the event types a stream reads.
EVENT_TYPE_PARAMETERS = ("event_types", "parent_event_types")


def format_until(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).strftime(EVENTS_UNTIL_FORMAT)


def event_types_read(parameters: Mapping[str, Any]) -> FrozenSet[str]:
    """Every event type a stream row reads: its own, its parent's, and those it re-reads on (`reread_on`: a mapping
    or a list of event types)."""
    types: Set[str] = set()
    for name in EVENT_TYPE_PARAMETERS:
        types.update(str(value) for value in parameters.get(name) or ())
    reread = parameters.get("reread_on") or {}
    types.update(str(value) for value in (reread.keys() if isinstance(reread, Mapping) else reread))
    return frozenset(types)


def event_readers(manifest: Mapping[str, Any]) -> Set[str]:
    """The streams whose incremental reads the pass can answer: the StateDelegatingStreams (their events path) and the
    streams of Stripe's events themselves (path `events`)."""
    return {
        row_name(stream)
        for stream in manifest.get("streams") or []
        if stream.get("type") == "StateDelegatingStream" or reads_every_event_type(stream)
    }


def reads_every_event_type(stream: Mapping[str, Any]) -> bool:
    """A stream of Stripe's events themselves (`/v1/events` with no `types[]`)."""
    return (stream.get("$parameters") or {}).get("path") == "events" and stream.get("type") != "StateDelegatingStream"


def events_path_cursors(
    states: Mapping[str, Any], evented: Iterable[str], selected: Iterable[str], list_paths: Iterable[str]
) -> Dict[str, int]:
    """{stream: its cursor} of the selected `evented` streams (`event_readers`) that read events in this read: those
    with a cursor (a stream without one reads its list, or its first window of events from `start_date`)."""
    skipped = set(list_paths)
    chosen = set(selected)
    cursors: Dict[str, int] = {}
    for name in evented:
        if name not in chosen or name in skipped or name not in states:
            continue
        cursor = flat_cursor(states[name], UPDATED)
        if cursor is not None:
            cursors[name] = cursor
    return cursors


def plan_events_pass(
    manifest: Mapping[str, Any],
    cursors: Mapping[str, int],
    overlap: int,
    until: int,
    served_before: Optional[ServedEvents] = None,
    lookback: int = 0,
) -> Optional[EventsPass]:
    """The pass for the streams `cursors` names (rows of `manifest`, linked by source_stripe/manifest.py), or None
    when no stream reads events in this read. Each stream's window starts before its cursor by the events `overlap`,
    or by the `lookback` (`lookback_window_days`) for the stream of Stripe's events itself (a `created` cursor)."""
    starts = []
    types: Optional[Set[str]] = set()
    for stream in manifest.get("streams") or []:
        name = row_name(stream)
        if name not in cursors:
            continue
        every_type = reads_every_event_type(stream)
        starts.append(cursors[name] - (lookback if every_type else overlap))
        if every_type:
            types = None
        if types is not None:
            types |= event_types_read(stream.get("$parameters") or {})
    bounds = pass_bounds(starts, 0, until)
    if bounds is None:
        return None
    return EventsPass(types=types or None, since=bounds[0], until=bounds[1], served_before=served_before)


def pass_event_types(manifest: Mapping[str, Any]) -> Optional[Set[str]]:
    """The event types the streams of `manifest` (a read's) read through events: None when one of them is the
    stream of Stripe's events itself (every type)."""
    types: Set[str] = set()
    for stream in manifest.get("streams") or []:
        if reads_every_event_type(stream):
            return None
        if stream.get("type") == "StateDelegatingStream":
            types |= event_types_read(stream.get("$parameters") or {})
    return types


class PassRequests:
    """The source's own requests (the events pass's `/v1/events`, the accounts' `/v1/account` and `/v1/accounts`):
    the manifest's requester (authentication, Stripe-Version, error handler, retries, the shared api_budget) on
    `path` with no parameters of its own, built by the source's component factory on the first request (the factory
    holds the api_budget only once the streams are built). `account`: a connected account to act as."""

    def __init__(self, factory: Any, manifest: Mapping[str, Any], config: Mapping[str, Any], path: str = "events") -> None:
        self._factory = factory
        self._path = path
        self._definition = dict(manifest["definitions"]["requester"], path=path, request_parameters={})
        self._config = config
        self._requester: Any = None

    def json(self, params: Mapping[str, Any], account: Optional[str] = None) -> Mapping[str, Any]:
        """The JSON body of the request's answer ({} when the error handler ignored it)."""
        response = self(params, account)
        return json_body(response) if response is not None and response.status_code == 200 else {}

    def __call__(self, params: Mapping[str, Any], account: Optional[str] = None) -> Any:
        if self._requester is None:
            from airbyte_cdk.sources.declarative.models.declarative_component_schema import HttpRequester
            from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import (
                ManifestComponentTransformer,
            )

            definition = ManifestComponentTransformer().propagate_types_and_parameters(
                "", {**self._definition, "$parameters": {"name": self._path}}, {}
            )
            self._requester = self._factory.create_component(HttpRequester, definition, self._config, name=self._path)
        from airbyte_cdk.sources.types import StreamSlice

        partition = {STRIPE_ACCOUNT: account} if account else {}
        return self._requester.send_request(stream_slice=StreamSlice(partition=partition, cursor_slice={}), request_params=params)
