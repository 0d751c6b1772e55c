"""Top-level object streams (`charges`, `customers`, …) read through the CDK against a mocked Stripe API.

Without state a stream lists its objects page by page with the parameters its kind needs; with a recent state it
reads the stream's events since the cursor (the events path).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone

import requests_mock

from helpers import (
    API,
    START_TS,
    a_recent_cursor,
    error_messages,
    make_config,
    one_window_config,
    page,
    params,
    query,
    read_incremental,
    record_data,
    requests_to,
    run_read,
    stripe_list,
)

# --- pagination ------------------------------------------------------------------------------------------------


def test_given_two_pages_when_read_then_all_records_in_order_and_second_request_starts_after_the_first_page(stripe):
    stripe.get(
        f"{API}/charges",
        [page([{"id": "ch_4"}, {"id": "ch_3"}], has_more=True, url="/v1/charges"), page([{"id": "ch_2"}, {"id": "ch_1"}])],
    )
    output = run_read(["charges"], one_window_config())
    assert [r["id"] for r in record_data(output)] == ["ch_4", "ch_3", "ch_2", "ch_1"]
    first, second = requests_to(stripe, "charges")
    assert "starting_after" not in params(first)
    assert params(first)["limit"] == "100"
    assert params(second)["starting_after"] == "ch_3"
    assert params(second)["limit"] == "100"
    assert not output.errors


def test_given_an_empty_list_when_read_then_no_records_and_no_error(stripe):
    stripe.get(f"{API}/charges", [page([])])
    output = run_read(["charges"], one_window_config())
    assert record_data(output) == [] and not output.errors
    assert len(stripe.request_history) == 1


# --- request parameters per stream kind ------------------------------------------------------------------------


def test_given_an_object_stream_when_read_then_created_gte_is_the_start_date(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}])])
    run_read(["customers"], one_window_config())
    [request] = requests_to(stripe, "customers")
    sent = params(request)
    # One `created` window up to the read's start: objects created during the read are left to the events.
    assert abs(int(sent.pop("created[lte]")) - datetime.now(timezone.utc).timestamp()) < 60
    assert sent == {"created[gte]": str(START_TS), "limit": "100"}


def test_given_subscriptions_when_read_then_status_all_is_sent(stripe):
    stripe.get(f"{API}/subscriptions", [page([{"id": "sub_1"}])])
    run_read(["subscriptions"], one_window_config())
    [request] = requests_to(stripe, "subscriptions")
    assert params(request)["status"] == "all"
    assert params(request)["created[gte]"] == str(START_TS)


def test_given_payment_links_when_read_then_no_created_parameter_is_sent(stripe):
    stripe.get(f"{API}/payment_links", [page([{"id": "plink_1"}])])
    output = run_read(["payment_links"], make_config())
    [request] = requests_to(stripe, "payment_links")
    assert not any(name.startswith("created") for name in params(request))
    assert params(request) == {"limit": "100"}
    assert [r["id"] for r in record_data(output)] == ["plink_1"]


def test_given_no_optional_parameters_when_read_then_no_parameter_is_sent_as_the_text_none(stripe):
    stripe.get(requests_mock.ANY, [page([])])
    run_read(["customers", "payment_links", "quotes", "charges"], make_config())
    assert stripe.request_history
    for request in stripe.request_history:
        assert "None" not in params(request).values(), request.url


# --- with state: the events path -------------------------------------------------------------------------------


def customer_events(stripe, cursor: int) -> None:
    """Two updates of one customer after the cursor, newest first."""
    stripe.get(
        f"{API}/events",
        json={
            "object": "list",
            "has_more": False,
            "data": [
                {"id": "evt_2", "type": "customer.updated", "created": cursor + 20,
                 "data": {"object": {"id": "cus_1", "email": "new"}}},
                {"id": "evt_1", "type": "customer.updated", "created": cursor + 10,
                 "data": {"object": {"id": "cus_1", "email": "old"}}},
            ],
        },
    )


def test_events_are_requested_by_type_from_the_cursor_minus_the_default_overlap(stripe):
    cursor = a_recent_cursor()
    customer_events(stripe, cursor)
    output = read_incremental("customers", str(cursor))
    assert not output.errors, error_messages(output)
    [events_request] = requests_to(stripe, "events")
    # Its own event types, and those of its discounts, which re-read the customer (see test_event_rereads.py).
    assert query(events_request)["types[]"] == [
        "customer.created", "customer.deleted", "customer.discount.created", "customer.discount.deleted",
        "customer.discount.updated", "customer.updated",
    ]
    assert int(query(events_request)["created[gte]"][0]) == cursor - 60
    assert [r.record.data["email"] for r in output.records] == ["new"]  # the newest snapshot only
    assert output.records[0].record.data["updated"] == cursor + 20


def test_the_events_overlap_setting_moves_the_object_streams_window(stripe):
    cursor = a_recent_cursor()
    customer_events(stripe, cursor)
    output = read_incremental("customers", str(cursor), make_config(events_overlap_seconds=0))
    assert not output.errors, error_messages(output)
    [events_request] = requests_to(stripe, "events")
    assert int(query(events_request)["created[gte]"][0]) == cursor


def test_the_final_state_is_the_time_the_read_started(stripe):
    before = int(time.time())
    cursor = a_recent_cursor()
    customer_events(stripe, cursor)
    output = read_incremental("customers", str(cursor))
    final = output.state_messages[-1].state.stream
    assert final.stream_descriptor.name == "customers"
    assert before - 1 <= int(final.stream_state.updated) <= int(time.time())


# --- lists that need a fixed filter ------------------------------------------------------------------------------


def test_tax_locations_are_listed_with_the_one_location_type_stripe_has_and_all_pages_read(stripe):
    stripe.get(
        f"{API}/tax/locations",
        [page([{"id": "taxloc_2"}], has_more=True), page([{"id": "taxloc_1"}])],
    )
    output = run_read(["tax_locations"], one_window_config())
    assert not output.errors, error_messages(output)
    assert [r["id"] for r in record_data(output)] == ["taxloc_2", "taxloc_1"]
    first, second = requests_to(stripe, "tax/locations")
    assert query(first)["type"] == ["performance"] and query(second)["type"] == ["performance"]
    assert query(second)["starting_after"] == ["taxloc_2"]


# --- the platform's account ----------------------------------------------------------------------------------------


def test_the_platform_lookup_does_not_hold_up_the_first_list_request(stripe, monkeypatch):
    """The platform's id (every record's `account_id`) is asked while the streams start: at Stripe's latency a lookup
    before them cost one round trip before the first page. (requests-mock answers one request at a time, so the slow
    lookup is the directory's, not a slow answer.)"""
    import threading

    from conftest import UNIT_PLATFORM
    from source_stripe.accounts import directory

    monkeypatch.setattr(directory, "KNOWN_PLATFORMS", {})  # not known from an earlier test of this process
    listed = threading.Event()
    answered_after_the_list_request: list = []

    def slow_lookup(self) -> str:
        answered_after_the_list_request.append(listed.wait(10))
        return UNIT_PLATFORM

    def charges(request, context):
        listed.set()
        return stripe_list([{"id": "ch_1", "created": START_TS + 10}])

    monkeypatch.setattr(directory.AccountDirectory, "_platform_id", slow_lookup)
    stripe.get(f"{API}/charges", json=charges)
    output = run_read(["charges"], one_window_config())
    assert answered_after_the_list_request == [True]  # the list request was sent while the lookup was pending
    assert [(r["id"], r["account_id"]) for r in record_data(output)] == [("ch_1", UNIT_PLATFORM)], error_messages(output)
