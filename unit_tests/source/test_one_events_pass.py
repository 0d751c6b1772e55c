"""One `/v1/events` pass answers every stream of an incremental read (source_stripe/events_plan.py,
components/events_pass.py)."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.state_builder import StateBuilder
from helpers import API, a_recent_cursor, make_config, page, query, record_data, requests_to, run_read

from source_stripe.events_plan import event_types_read, events_path_cursors, plan_events_pass
from source_stripe.manifest import for_read, resolved_manifest


def event(n: int, type_: str, created: int, obj: dict) -> dict:
    return {"id": f"evt_{n}", "object": "event", "type": type_, "created": created, "api_version": None,
            "data": {"object": obj}}


def test_an_incremental_read_of_several_streams_asks_stripe_for_events_once(stripe):
    cursor = a_recent_cursor()
    events = [
        event(3, "customer.updated", cursor + 30, {"id": "cus_1", "object": "customer", "created": 1}),
        event(2, "charge.updated", cursor + 20, {"id": "ch_1", "object": "charge", "created": 1}),
        event(1, "product.updated", cursor + 10, {"id": "prod_1", "object": "product", "created": 1}),
    ]
    stripe.get(f"{API}/events", **page(events))
    state = StateBuilder()
    for stream in ("charges", "customers", "products"):
        state = state.with_stream_state(stream, {"updated": cursor})
    output = run_read(["charges", "customers", "products"], make_config(), sync_mode=SyncMode.incremental,
                      state=state.build())
    [events_request] = requests_to(stripe, "events")
    assert int(query(events_request)["created[gte]"][0]) == cursor - 60
    assert set(query(events_request)["types[]"]) == {
        t for name in ("charges", "customers", "products") for t in event_types_read(parameters_of(name))
    }
    assert {(r["id"], r["updated"]) for r in record_data(output, "charges")} == {("ch_1", cursor + 20)}
    assert {r["id"] for r in record_data(output, "customers")} == {"cus_1"}
    assert {r["id"] for r in record_data(output, "products")} == {"prod_1"}


def test_the_pass_starts_at_the_oldest_cursor(stripe):
    old, recent = a_recent_cursor() - 7200, a_recent_cursor()
    stripe.get(f"{API}/events", **page([]))
    state = StateBuilder().with_stream_state("charges", {"updated": recent}).with_stream_state("customers", {"updated": old})
    run_read(["charges", "customers"], make_config(), sync_mode=SyncMode.incremental, state=state.build())
    [events_request] = requests_to(stripe, "events")
    assert int(query(events_request)["created[gte]"][0]) == old - 60


def parameters_of(name: str) -> dict:
    linked = for_read(resolved_manifest(), None)
    return next(s["$parameters"] for s in linked["streams"] if s["$parameters"]["name"] == name)


def test_streams_reading_their_list_are_left_out_of_the_pass():
    cursors = events_path_cursors(
        {"charges": {"updated": 1000}, "customers": {"updated": 900}, "invoices": {"updated": 800}},
        evented={"charges", "customers", "invoices", "prices"},
        selected={"charges", "customers", "invoices", "prices"},
        list_paths={"invoices"},  # resuming its first read
    )
    assert cursors == {"charges": 1000, "customers": 900}  # prices has no cursor: it reads its list


def test_a_child_reads_its_parents_event_types_through_the_pass():
    assert {"invoice.updated", "invoice.paid"} <= event_types_read(parameters_of("invoice_line_items"))


def test_the_events_stream_makes_the_pass_read_every_type():
    linked = for_read(resolved_manifest(), {"charges", "events"})
    events_pass = plan_events_pass(linked, {"charges": 1000, "events": 900}, overlap=60, until=2000)
    assert events_pass is not None and events_pass.types is None and events_pass.since == 900  # no lookback
    day = 86400
    looking_back = plan_events_pass(linked, {"charges": 9 * day, "events": 9 * day}, overlap=60, until=10 * day,
                                    lookback=2 * day)
    assert looking_back is not None and looking_back.since == 7 * day
    only_charges = plan_events_pass(linked, {"charges": 1000}, overlap=60, until=2000)
    assert only_charges is not None and only_charges.types == event_types_read(parameters_of("charges"))


def test_no_stream_on_the_events_path_means_no_pass():
    assert plan_events_pass(for_read(resolved_manifest(), {"charges"}), {}, overlap=60, until=2000) is None
