"""The events pass: one `/v1/events` read answering every stream's events requests (components/events_pass.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import orjson
import pytest
import requests

from source_stripe.components.events_pass import (
    EventsPass,
    EventsQuery,
    PassServedRequester,
    ServedEvents,
    pass_bounds,
)
from source_stripe.components.response_body import json_body


def event(n: int, type_: str, created: int) -> Dict[str, Any]:
    return {"id": f"evt_{n}", "object": "event", "type": type_, "created": created, "data": {"object": {"id": f"obj_{n}"}}}


def page(events: List[Dict[str, Any]], has_more: bool = False, status: int = 200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = orjson.dumps({"object": "list", "data": events, "has_more": has_more})
    response.headers["Stripe-Version"] = "2025-09-30.clover"
    return response


class FakeEvents:
    """`/v1/events` newest first, `limit` per page, `starting_after`; records each query."""

    def __init__(self, events: List[Dict[str, Any]]) -> None:
        self.events = sorted(events, key=lambda e: e["created"], reverse=True)
        self.queries: List[Dict[str, Any]] = []

    def __call__(self, params: Mapping[str, Any]) -> requests.Response:
        self.queries.append(dict(params))
        types = params.get("types[]")
        selected = [
            e for e in self.events
            if params["created[gte]"] <= e["created"] <= params["created[lte]"] and (types is None or e["type"] in types)
        ]
        if params.get("starting_after"):
            ids = [e["id"] for e in selected]
            selected = selected[ids.index(params["starting_after"]) + 1:]
        limit = params["limit"]
        return page(selected[:limit], has_more=len(selected) > limit)


def ids(response: Optional[requests.Response]) -> List[str]:
    assert response is not None
    return [e["id"] for e in json_body(response)["data"]]


EVENTS = [
    event(1, "charge.succeeded", 1000),
    event(2, "customer.updated", 1010),
    event(3, "charge.updated", 1020),
    event(4, "invoice.paid", 1030),
]


def query(types: List[str], lo: int, hi: int, **extra: Any) -> Dict[str, Any]:
    return {"types[]": types, "created[gte]": lo, "created[lte]": hi, "limit": 100, **extra}


def test_one_read_answers_every_stream_with_its_own_types_and_window():
    fake = FakeEvents(EVENTS)
    events_pass = EventsPass(types={"charge.succeeded", "charge.updated", "customer.updated"}, since=900, until=2000)
    events_pass.attach(fake)
    charges = events_pass.answer(query(["charge.succeeded", "charge.updated"], 900, 2000), "charges")
    customers = events_pass.answer(query(["customer.updated"], 1005, 2000), "customers")
    late_charges = events_pass.answer(query(["charge.succeeded", "charge.updated"], 1015, 2000), "charges")
    assert ids(charges) == ["evt_3", "evt_1"]  # newest first, as Stripe lists them
    assert ids(customers) == ["evt_2"]
    assert ids(late_charges) == ["evt_3"]
    assert len(fake.queries) == 1
    assert fake.queries[0]["types[]"] == ["charge.succeeded", "charge.updated", "customer.updated"]


def test_a_request_the_pass_does_not_cover_goes_to_stripe():
    events_pass = EventsPass(types={"charge.updated"}, since=900, until=2000)
    events_pass.attach(FakeEvents(EVENTS))
    assert events_pass.answer(query(["invoice.paid"], 900, 2000), "invoices") is None  # a type it did not read
    assert events_pass.answer(query(["charge.updated"], 800, 2000), "charges") is None  # older than the pass
    assert events_pass.answer(query(["charge.updated"], 900, 2001), "charges") is None  # newer than the pass
    assert events_pass.answer({"created[gte]": 900, "created[lte]": 2000}, "events") is None  # every type
    assert events_pass.answer(query(["charge.updated"], 900, 2000, ending_before="evt_1"), "charges") is None


def test_more_than_twenty_types_read_every_type_and_answer_each_stream_its_own():
    types = {f"thing_{n}.updated" for n in range(25)} | {"charge.updated"}
    fake = FakeEvents(EVENTS)
    events_pass = EventsPass(types=types, since=900, until=2000)
    events_pass.attach(fake)
    assert events_pass.types is None
    assert ids(events_pass.answer(query(["charge.updated"], 900, 2000), "charges")) == ["evt_3"]
    assert "types[]" not in fake.queries[0]


def test_the_pass_follows_stripes_pages():
    many = [event(n, "charge.updated", 1000 + n) for n in range(250)]
    fake = FakeEvents(many)
    events_pass = EventsPass(types={"charge.updated"}, since=900, until=2000)
    events_pass.attach(fake)
    assert len(ids(events_pass.answer(query(["charge.updated"], 900, 2000), "charges"))) == 250
    assert len(fake.queries) == 3 and fake.queries[2]["starting_after"] == "evt_50"


def test_a_pass_longer_than_its_page_budget_covers_only_its_newest_whole_seconds():
    many = [event(n, "charge.updated", 1000 + n // 2) for n in range(300)]  # two events a second
    events_pass = EventsPass(types={"charge.updated"}, since=900, until=2000, max_pages=2)
    events_pass.attach(FakeEvents(many))
    assert events_pass.answer(query(["charge.updated"], 900, 2000), "charges") is None
    # The 200 newest events reach second 1050: its other event was not read, so the pass holds 1051 on.
    assert events_pass.covered_from == 1051
    assert len(ids(events_pass.answer(query(["charge.updated"], 1051, 2000), "charges"))) == 198


def test_a_failed_pass_answers_nothing_and_is_not_read_again():
    calls: List[Mapping[str, Any]] = []

    def failing(params: Mapping[str, Any]) -> requests.Response:
        calls.append(params)
        return page([], status=500)

    events_pass = EventsPass(types={"charge.updated"}, since=900, until=2000)
    events_pass.attach(failing)
    assert events_pass.answer(query(["charge.updated"], 900, 2000), "charges") is None
    assert events_pass.answer(query(["charge.updated"], 900, 2000), "refunds") is None
    assert len(calls) == 1


def test_events_answered_in_an_earlier_pass_of_the_run_are_left_out():
    first = EventsPass(types={"charge.updated", "customer.updated"}, since=900, until=1025)
    first.attach(FakeEvents(EVENTS))
    assert ids(first.answer(query(["charge.updated"], 900, 1025), "charges")) == ["evt_3"]
    served = ServedEvents()
    served.merge(first.served_now)
    second = EventsPass(types={"charge.updated", "customer.updated"}, since=1000, until=2000, served_before=served)
    second.attach(FakeEvents(EVENTS + [event(5, "charge.updated", 1040)]))
    assert ids(second.answer(query(["charge.updated"], 1000, 2000), "charges")) == ["evt_5"]
    # Another stream was not answered evt_2 before: it still gets it.
    assert ids(second.answer(query(["customer.updated"], 1000, 2000), "customers")) == ["evt_2"]


def test_served_events_are_pruned_to_what_the_next_pass_can_ask_for():
    served = ServedEvents()
    first = EventsPass(types={"charge.updated", "charge.succeeded"}, since=900, until=2000)
    first.attach(FakeEvents(EVENTS))
    first.answer(query(["charge.updated", "charge.succeeded"], 900, 2000), "charges")
    served.merge(first.served_now)
    assert set(served.served("charges")) == {"evt_1", "evt_3"}
    served.prune(before=1010)
    assert set(served.served("charges")) == {"evt_3"}


@pytest.mark.parametrize(
    "params, expected",
    [
        ({"types[]": ["a"], "created[gte]": "10", "created[lte]": "20"}, EventsQuery(frozenset({"a"}), 10, 20)),
        ({"created[gt]": 10, "created[lt]": 20}, EventsQuery(None, 11, 19)),
        ({"type": "charge.updated"}, None),
        ({"created[gte]": "soon"}, None),
    ],
)
def test_events_query_reads_what_a_request_asks(params, expected):
    assert EventsQuery.parse(params) == expected


def test_pass_bounds_start_at_the_oldest_cursor_minus_the_overlap():
    assert pass_bounds([1000, 900, 1200], overlap=60, until=2000) == (840, 2000)
    assert pass_bounds([], overlap=60, until=2000) is None


class FakeRequester:
    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []

    def get_request_params(self, **kwargs: Any) -> Mapping[str, Any]:
        return {"types[]": ["charge.updated"]}

    def send_request(self, **kwargs: Any) -> requests.Response:
        self.sent.append(kwargs)
        return page([])

    def get_path(self, **kwargs: Any) -> str:
        return "events"


def test_a_streams_requester_is_answered_by_the_pass_with_its_own_types():
    fake = FakeEvents(EVENTS)
    events_pass = EventsPass(types={"charge.updated", "charge.succeeded"}, since=900, until=2000)
    events_pass.attach(fake)
    inner = FakeRequester()
    requester = PassServedRequester(inner, events_pass, "charges")
    response = requester.send_request(stream_slice=None, request_params={"created[gte]": 900, "created[lte]": 2000, "limit": 100})
    assert ids(response) == ["evt_3"]
    assert inner.sent == []
    assert requester.get_path() == "events"  # everything else is the stream's requester's
    requester.send_request(stream_slice=None, request_params={"created[gte]": 800, "created[lte]": 2000, "limit": 100})
    assert len(inner.sent) == 1  # not covered: sent to Stripe
