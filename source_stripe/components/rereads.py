"""The records a window of events gives an evented stream, and the re-reads it needs for the ones events cannot give.

`StreamEvents` is the pure part: events in (newest first, as `/v1/events` lists them), outcomes out. It does not care
who fetched the events: the stream's own `/v1/events` request (`events_retriever.EventsRetriever`) or one pass shared
by every stream. For each event it gives:

- a `Snapshot` for an event of the stream's own types (`$parameters.event_types`): the event's object (Stripe's
  snapshot after the change, nothing expanded, as on the list path) with `updated` = the event's time and
  `is_deleted` for an event that removed it (`extractors.is_deletion`). Nothing for a preview (the invoice of
  `invoice.upcoming`), nor, on a child stream, for an object of another kind (`$parameters.event_object`: cards and
  bank accounts share `customer.source.*`) or of no parent (`$parameters.parent_field`);
- a `Retrieve` of its object by id instead, when the event was rendered at another API version than the one the
  connector's requests are served at: `/v1/events` renders each event's `data.object` at the event's own
  `api_version`, so a stream's records keep one shape only if such objects are read again. A deletion needs no
  re-read: its record is `{id, object, <parent field>, updated, is_deleted: true}`, which no version changes;
- a `Relist` or a `Retrieve` for an event of another object that says some of the stream's objects changed
  (`$parameters.reread_on`, see `RereadRule`): an invoice item's change shows only as its invoice's
  `invoice.updated`, a customer's discount only as `customer.discount.*`.

Each object and each request comes once per window, at its newest event. `Rereads` sends the requests through the
stream's own requester (the shared api_budget, retries and error handler apply); `NewestPerObject` keeps one record
per object of a window, whichever outcome produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, Iterator, List, Mapping, Optional, Set, Union

from airbyte_cdk.sources.declarative.requesters.requester import Requester
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.extractors import is_deletion, is_preview
from source_stripe.components.response_body import json_body

# How a child row's path names its parent: `customers/{{ stream_partition.parent_id }}/tax_ids`.
PARENT_IN_PATH = re.compile(r"\{\{\s*stream_partition\.parent_id\s*\}\}")
ID = "id"


def reference(value: Any) -> Optional[str]:
    """The id an object's field names: the field itself, or the `id` of its expanded form."""
    if isinstance(value, Mapping):
        value = value.get(ID)
    return str(value) if value else None


# --------------------------------------------------------------------------------------------------------------------
# Outcomes.
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """A record taken from an event as it is."""

    record: Dict[str, Any]


@dataclass(frozen=True)
class Relist:
    """List the stream's objects whose `field` is `value` (`GET /v1/invoiceitems?invoice=in_…`); each is a record
    with `updated` = `at`, the time of the event that asked for it."""

    field: str
    value: str
    at: int

    @property
    def key(self) -> tuple[str, ...]:
        return ("list", self.field, self.value)


@dataclass(frozen=True)
class Retrieve:
    """Read one object at `path` (`GET /v1/customers/cus_…`); a record with `updated` = `at`, or none when the object
    is gone (a later deletion event says so)."""

    path: str
    at: int

    @property
    def key(self) -> tuple[str, ...]:
        return ("retrieve", self.path)


Reread = Union[Relist, Retrieve]
Outcome = Union[Snapshot, Relist, Retrieve]


# --------------------------------------------------------------------------------------------------------------------
# What a row declares.
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ObjectPath:
    """Where one object of the stream is read by id: the row's list path plus `/<id>`, a child's parent id in it
    (`customers/cus_1/tax_ids/txi_1`)."""

    list_path: str
    parent_field: Optional[str] = None

    @property
    def is_child(self) -> bool:
        return bool(PARENT_IN_PATH.search(self.list_path))

    def of(self, obj: Mapping[str, Any]) -> Optional[str]:
        """The path of `obj`, None when a child's parent is unknown."""
        object_id = reference(obj.get(ID))
        if object_id is None:
            return None
        if not self.is_child:
            return f"{self.list_path}/{object_id}"
        parent_id = reference(obj.get(self.parent_field)) if self.parent_field else None
        if parent_id is None:
            return None
        return PARENT_IN_PATH.sub(lambda _match: parent_id, self.list_path) + f"/{object_id}"


@dataclass(frozen=True)
class RereadRule:
    """One `reread_on` entry, `{<event type>: {<field of the stream's objects>: <field of the event's object>}}`: on
    such an event, the stream's objects whose field is the event object's field changed.

    `{invoice: id}` (invoice items on `invoice.updated`): the items whose `invoice` is the event's invoice, re-listed
    with `?invoice=<id>`; `{id: customer}` (customers on `customer.discount.*`): the customer whose `id` is the
    discount's `customer`, retrieved by id.
    """

    stream_field: str
    event_field: str

    @classmethod
    def parse(cls, event_type: str, spec: Any) -> "RereadRule":
        if not isinstance(spec, Mapping) or len(spec) != 1:
            raise ValueError(f"reread_on.{event_type} must be one `{{stream field: event object field}}` pair, not {spec!r}")
        (stream_field, event_field), = spec.items()
        return cls(stream_field=str(stream_field), event_field=str(event_field))

    def request(self, obj: Mapping[str, Any], at: int, paths: ObjectPath) -> Optional[Reread]:
        value = reference(obj.get(self.event_field))
        if value is None:
            return None  # the event names none of the stream's objects (a discount of no customer)
        if self.stream_field == ID:
            return Retrieve(path=f"{paths.list_path}/{value}", at=at)
        return Relist(field=self.stream_field, value=value, at=at)


# --------------------------------------------------------------------------------------------------------------------
# Events in, outcomes out.
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StreamEvents:
    """Which records and re-reads events give one stream (see the module docstring). Stateless: one `window()` per
    window of events keeps what the window already gave."""

    event_types: FrozenSet[str]
    paths: ObjectPath
    reread_on: Mapping[str, RereadRule] = field(default_factory=dict)
    event_object: Optional[str] = None
    parent_field: Optional[str] = None

    @classmethod
    def from_parameters(cls, parameters: Mapping[str, Any]) -> "StreamEvents":
        """From a manifest row's `$parameters`: `event_types`, `path`, and where they apply `reread_on`,
        `event_object` and `parent_field`."""
        event_types = frozenset(parameters.get("event_types") or ())
        if not event_types:
            raise ValueError(f"stream '{parameters.get('name')}' reads events but names no event_types")
        paths = ObjectPath(list_path=str(parameters["path"]), parent_field=parameters.get("parent_field") or None)
        rules = {str(t): RereadRule.parse(str(t), spec) for t, spec in (parameters.get("reread_on") or {}).items()}
        if rules and paths.is_child:
            raise ValueError(f"stream '{parameters.get('name')}': reread_on needs a top-level list path")
        return cls(
            event_types=event_types,
            paths=paths,
            reread_on=rules,
            event_object=parameters.get("event_object") or None,
            parent_field=parameters.get("parent_field") or None,
        )

    @property
    def types(self) -> List[str]:
        """Every event type the stream reads: its own and those that re-read its objects (`types[]`)."""
        return sorted(self.event_types | set(self.reread_on))

    def window(self) -> "WindowEvents":
        return WindowEvents(self)

    def is_own_object(self, obj: Mapping[str, Any], deleted: bool) -> bool:
        """Whether an event's object is a row of the stream: of its kind, and with a parent (or removed: a detached
        payment method has no customer any more)."""
        if self.event_object and obj.get("object") != self.event_object:
            return False
        return not self.parent_field or deleted or reference(obj.get(self.parent_field)) is not None

    def deletion_record(self, obj: Mapping[str, Any], at: int) -> Dict[str, Any]:
        """What a deletion says whatever its version: the object's id, kind and parent."""
        record = {key: obj[key] for key in (ID, "object", self.parent_field) if key and key in obj}
        record.update(updated=at, is_deleted=True)
        return record


def rendered_at_another_version(event: Mapping[str, Any], served_version: Optional[str]) -> bool:
    """Whether the event's object was rendered at another API version than `served_version` (the version of the
    connector's requests). Unknown on either side: no."""
    event_version = event.get("api_version")
    return bool(event_version and served_version and event_version != served_version)


@dataclass
class WindowEvents:
    """The outcomes of one window of events, fed page by page (newest first): each object and each re-read once, at
    its newest event. Memory: the ids and requests of the window."""

    stream: StreamEvents
    _objects: Set[str] = field(default_factory=set)
    _requests: Set[tuple[str, ...]] = field(default_factory=set)

    def outcomes(self, events: Iterable[Mapping[str, Any]], served_version: Optional[str]) -> Iterator[Outcome]:
        """The outcomes of `events`, `served_version` being the API version the connector's requests get (the
        `Stripe-Version` of the page that listed them)."""
        for event in events:
            event_type = str(event.get("type") or "")
            obj = (event.get("data") or {}).get("object")
            if not isinstance(obj, Mapping) or is_preview(obj):
                continue
            at = int(event.get("created") or 0)
            rule = self.stream.reread_on.get(event_type)
            if rule is not None:
                yield from self._once(rule.request(obj, at, self.stream.paths))
            if event_type in self.stream.event_types:
                yield from self._own(event, obj, at, served_version)

    def _own(self, event: Mapping[str, Any], obj: Mapping[str, Any], at: int, served_version: Optional[str]) -> Iterator[Outcome]:
        deleted = is_deletion(str(event.get("type") or ""))
        object_id = str(obj[ID])
        if object_id in self._objects or not self.stream.is_own_object(obj, deleted):
            return
        self._objects.add(object_id)
        if not rendered_at_another_version(event, served_version):
            yield Snapshot(dict(obj, updated=at, is_deleted=deleted))
        elif deleted:
            yield Snapshot(self.stream.deletion_record(obj, at))
        else:
            path = self.stream.paths.of(obj)
            if path is not None:
                yield from self._once(Retrieve(path=path, at=at))

    def _once(self, request: Optional[Reread]) -> Iterator[Reread]:
        if request is not None and request.key not in self._requests:
            self._requests.add(request.key)
            yield request


@dataclass
class NewestPerObject:
    """One record per object id of a window: the first one, i.e. the one of its newest event (outcomes come newest
    first, and a re-read object is as new as the event that asked for it or newer)."""

    _seen: Set[Any] = field(default_factory=set)

    def first(self, records: Iterable[Dict[str, Any]]) -> Iterator[Dict[str, Any]]:
        for record in records:
            object_id = record.get(ID)
            if object_id not in self._seen:
                self._seen.add(object_id)
                yield record


# --------------------------------------------------------------------------------------------------------------------
# Sending the re-reads.
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class Rereads:
    """Sends a window's re-reads through the stream's requester and gives their objects as records (`updated` = the
    time of the event that asked, `is_deleted: false`).

    A `Relist` reads every page of `GET /v1/<list path>?<field>=<value>` (plus the row's `query`); a `Retrieve` reads
    one object. A response that is no 200 (the error handler IGNOREs a 404: the object is gone) or a deleted stub
    (`{"id", "deleted": true}`, a deleted customer) gives nothing: the object's deletion event says it is gone.
    """

    requester: Requester
    list_path: str
    list_query: Mapping[str, Any] = field(default_factory=dict)
    page_size: int = 100

    @classmethod
    def from_parameters(cls, requester: Requester, parameters: Mapping[str, Any]) -> "Rereads":
        return cls(requester=requester, list_path=str(parameters["path"]), list_query=dict(parameters.get("query") or {}))

    def records(self, request: Reread, window: Optional[StreamSlice] = None) -> List[Dict[str, Any]]:
        if isinstance(request, Relist):
            objects = self._listed(request, window)
        else:
            objects = self._retrieved(request, window)
        return [dict(obj, updated=request.at, is_deleted=False) for obj in objects]

    def _listed(self, request: Relist, window: Optional[StreamSlice]) -> List[Mapping[str, Any]]:
        params: Dict[str, Any] = dict(self.list_query, **{request.field: request.value, "limit": self.page_size})
        objects: List[Mapping[str, Any]] = []
        while True:
            body = self._body(self.list_path, params, window)
            data = [obj for obj in (body or {}).get("data") or [] if isinstance(obj, Mapping) and obj.get(ID)]
            objects.extend(data)
            if not body or not body.get("has_more") or not data:
                return objects
            params = dict(params, starting_after=data[-1][ID])

    def _retrieved(self, request: Retrieve, window: Optional[StreamSlice]) -> List[Mapping[str, Any]]:
        body = self._body(request.path, {}, window)
        if not body or not body.get(ID) or body.get("deleted"):
            return []
        return [body]

    def _body(self, path: str, params: Mapping[str, Any], window: Optional[StreamSlice]) -> Optional[Mapping[str, Any]]:
        response = self.requester.send_request(stream_slice=window, path=path, request_params=params)
        if response is None or response.status_code != 200:
            return None
        return json_body(response)
