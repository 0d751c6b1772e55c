"""Incremental sync of the object streams through Stripe's events, against the emulator.

One connector run reads every evented stream at once: a first sync (the lists), scripted creates / updates /
deletes through the emulator's store (each emits the event Stripe would send, also the changes Stripe tells only
through another object's events: an invoice item's through its invoice's `invoice.updated`, a customer's discount
through `customer.discount.*`), a second sync from the first one's state (the events, and the objects those other
events re-read); the destination's view, merged as append_dedup would, must equal the emulator's truth.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from integration_tests.connector import configured_catalog, destination_view, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.emulator.events import EVENT_TYPES, event_type
from integration_tests.emulator.resources import resource
from integration_tests.truth import expected_ids

START_TS = 1735689600  # 2025-01-01T00:00:00Z, emulator_config's start_date
MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yaml"


def _evented_rows() -> dict[str, dict]:
    rows = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["streams"]
    return {
        row["$parameters"]["name"]: row["$parameters"]
        for row in rows
        if row.get("$ref", "").startswith("#/definitions/evented_")
    }


ROWS = _evented_rows()
EVENTED = {name: row["event_types"] for name, row in ROWS.items()}
STREAMS = sorted(EVENTED)
# The events of other objects that re-read a stream's objects, and the routes those re-reads take.
REREAD_ON = {name: row.get("reread_on") or {} for name, row in ROWS.items()}
REREAD_ROUTES = {"/v1/invoiceitems", "/v1/customers/{id}"}


def _catalog(discovered, names):
    return configured_catalog({name: "incremental" for name in names}, discovered)


def _script_changes(store, stream, at):
    """Creates one object, updates two others (the second twice), deletes a fourth, where Stripe sends an event
    for that action. Returns (changed ids, deleted ids)."""
    entry = EVENT_TYPES[stream]
    live = [o["id"] for o in store.live_objects(stream) if o.get("created", START_TS) >= START_TS]
    changed, deleted = set(), set()
    if event_type(stream, "create"):
        changed.add(store.create(stream, at=at)["id"])
    if entry.get("update"):
        store.update(stream, live[0], {"metadata": {"sync": "first"}}, at=at)
        store.update(stream, live[1], {"metadata": {"sync": "first"}}, at=at)
        store.update(stream, live[1], {"metadata": {"sync": "second"}}, at=at + 1)
        changed |= {live[0], live[1]}
    if resource(stream).deletable and entry.get("delete"):
        store.delete(stream, live[2], at=at + 1)
        (deleted if resource(stream).deletable == "hard" else changed).add(live[2])
    return changed, deleted


def _script_changes_told_by_other_objects(store, at):
    """Changes Stripe tells only through another object's events, after the other changes (an event's snapshot is
    the object when it is logged): two items put on an invoice and updated (their invoice's `invoice.updated`, no
    `invoiceitem.updated`), a pending item updated (no event at all), a discount applied to a customer, and one
    applied then removed on another (`customer.discount.*`, no `customer.updated`). Returns {stream: changed ids}."""
    invoice = store.live_objects("invoices")[0]["id"]
    items = [store.create("invoice_items", {"invoice": invoice}, at=at)["id"] for _ in range(2)]
    store.update("invoice_items", items[0], {"metadata": {"sync": "first"}}, at=at + 1)
    store.update("invoice_items", items[1], {"metadata": {"sync": "first"}}, at=at + 1)
    store.update("invoice_items", items[1], {"metadata": {"sync": "second"}}, at=at + 2)
    pending = [o["id"] for o in store.live_objects("invoice_items") if not o.get("invoice")][-1]  # a seeded one
    store.update("invoice_items", pending, {"metadata": {"sync": "unseen"}}, at=at)
    customers = [o["id"] for o in store.live_objects("customers")][:2]
    store.set_discount(customers[0], "SUMMER", at=at + 2)
    store.set_discount(customers[1], "WINTER", at=at + 1)
    store.set_discount(customers[1], None, at=at + 2)
    return {"invoice_items": set(items), "invoices": {invoice}, "customers": set(customers)}


@pytest.fixture(scope="module")
def incremental():
    with Emulator(seed=11, scale=3) as emulator:
        discover = run_connector("discover", emulator_config(emulator.url))
        discovered = discover.of_type("CATALOG")[0]["catalog"]["streams"]
        config = emulator_config(emulator.url)
        first = run_connector("read", config, _catalog(discovered, STREAMS))
        assert first.returncode == 0, first.stderr
        state = first.final_state()
        # The changes happen after the first sync has ended: a listed object without `created` (payment links) is as
        # of the read (`updated` = its window's end), so an event stamped during the first sync would lose to it.
        ended = max(min(int(s["stream"]["stream_state"]["updated"]) for s in state), emulator.store.clock.now())
        while emulator.store.clock.now() < ended + 6:  # every scripted change (up to ended + 5) in the past
            time.sleep(0.2)
        scripted = {stream: _script_changes(emulator.store, stream, ended + 1) for stream in STREAMS}
        told_by_others = _script_changes_told_by_other_objects(emulator.store, ended + 3)
        for stream, ids in told_by_others.items():
            scripted[stream][0].update(ids)
        previews = _script_upcoming_invoices(emulator.store, ended + 1)
        re_read = {stream: _re_read(emulator.store, stream, ended + 1) for stream in STREAMS}
        emulator.reset_stats()
        second = run_connector("read", config, _catalog(discovered, STREAMS), state)
        assert second.returncode == 0, second.stderr
        yield {"emulator": emulator, "discovered": discovered, "first": first, "second": second, "state": state,
               "scripted": scripted, "routes": emulator.stats()["by_route"], "told_by_others": told_by_others,
               "re_read": re_read, "previews": previews, "at": ended + 1}


def _script_upcoming_invoices(store, at):
    """Two `invoice.upcoming` events, whose invoice is a preview: one without an id, one with an `upcoming_` id."""
    invoice = store.live_objects("invoices")[0]
    previews = [{k: v for k, v in invoice.items() if k != "id"}, dict(invoice, id="upcoming_in_1Preview")]
    return [store.add_event("invoice.upcoming", preview, at=at)["id"] for preview in previews]


def _re_read(store, stream, since):
    """The objects of `stream` that the events of other objects since `since` re-read (the stream's `reread_on`):
    every item of an updated invoice, the customer of a changed discount."""
    ids = set()
    for event in store.events():
        rule = REREAD_ON[stream].get(event["type"])
        if event["created"] < since or not rule:
            continue
        [(stream_field, event_field)] = rule.items()
        value = event["data"]["object"].get(event_field)
        ids |= {o["id"] for o in store.live_objects(stream) if value and o.get(stream_field) == value}
    return ids


def test_discover_offers_incremental_on_updated_for_every_evented_stream(incremental):
    by_name = {s["name"]: s for s in incremental["discovered"]}
    for stream in STREAMS:
        assert by_name[stream]["default_cursor_field"] == ["updated"], stream
        assert "incremental" in by_name[stream]["supported_sync_modes"], stream
    assert "incremental" not in by_name["accounts"]["supported_sync_modes"]


@pytest.mark.parametrize("stream", STREAMS)
def test_every_event_type_the_emulator_sends_is_listed(stream):
    entry = EVENT_TYPES[stream]
    sent = {entry.get(action) for action in ("create", "update", "delete")} | set(entry.get("status", {}).values())
    assert sent - {None} <= set(EVENTED[stream])


def test_first_sync_reads_the_lists_and_saves_an_updated_cursor(incremental):
    first = incremental["first"]
    assert first.errors() == []
    assert {s["stream"]["stream_descriptor"]["name"] for s in incremental["state"]} == set(STREAMS)
    for stream in STREAMS:
        records = first.records[stream]
        assert all(r["updated"] == r.get("created", r["updated"]) and r["is_deleted"] is False for r in records), stream


def test_second_sync_reads_the_events_once_for_every_stream(incremental):
    routes = incremental["routes"]
    # `/v1/account`: the platform's id for the records' `account_id`, once per read.
    events_routes = {route: n for route, n in routes.items() if route not in REREAD_ROUTES and route != "/v1/account"}
    since = min(int(s["stream"]["stream_state"]["updated"]) for s in incremental["state"]) - 60  # the events overlap
    in_pass = [e for e in incremental["emulator"].store.events() if e["created"] >= since]
    assert events_routes == {"/v1/events": -(-len(in_pass) // 100)}, "one events pass (its pages) answers every stream"
    # Besides: the objects that other objects' events re-read (invoice items re-listed, customers retrieved).
    assert set(routes) - set(events_routes) - {"/v1/account"} == REREAD_ROUTES
    assert routes["/v1/customers/{id}"] == len(incremental["told_by_others"]["customers"])


@pytest.mark.parametrize("stream", STREAMS)
def test_destination_equals_the_emulators_truth(incremental, stream):
    store = incremental["emulator"].store
    changed, deleted = incremental["scripted"][stream]
    second = incremental["second"]
    view = destination_view(incremental["first"], second)[stream]
    live = {i for i, r in view.items() if not r["is_deleted"]}
    gone = {i for i, r in view.items() if r["is_deleted"]}
    assert live == expected_ids(store, stream, START_TS)
    assert gone == deleted
    # Only what changed, and what other objects' events re-read (an updated invoice's other items too).
    re_read = incremental["re_read"][stream]
    assert second.ids(stream) == changed | deleted | re_read, "the second sync re-read objects that did not change"
    assert len(second.records[stream]) == len(second.ids(stream)), "an object was emitted twice"
    for object_id in changed:  # the newest snapshot: the last update's metadata, a cancellation's status, a discount
        truth = store.get(stream, object_id)
        for field in ("metadata", "status", "discount"):
            assert view[object_id].get(field) == truth.get(field), (object_id, field)


def test_invoice_items_changed_through_their_invoices_events_are_read(incremental):
    store = incremental["emulator"].store
    items = incremental["told_by_others"]["invoice_items"]
    assert not [e for e in store.events() if e["type"].startswith("invoiceitem.updated")], "Stripe sends none"
    records = {r["id"]: r for r in incremental["second"].records["invoice_items"]}
    for item in items:  # re-listed on their invoice's invoice.updated, with the update's metadata
        assert records[item]["metadata"] == store.get("invoice_items", item)["metadata"] != {}, item
        assert records[item]["updated"] >= incremental["at"] and records[item]["is_deleted"] is False, item
    assert {r["metadata"].get("sync") for i, r in records.items() if i in items} == {"first", "second"}
    # A pending item's update sends no event, so the sync cannot see it (README: limits).
    pending = [o["id"] for o in store.live_objects("invoice_items") if o["metadata"] == {"sync": "unseen"}]
    assert len(pending) == 1 and pending[0] not in records


def test_customer_discount_changes_re_read_the_customer(incremental):
    store = incremental["emulator"].store
    customers = incremental["told_by_others"]["customers"]
    discount_events = [e for e in store.events() if e["type"].startswith("customer.discount.")
                       and e["created"] >= incremental["at"]]
    assert {e["data"]["object"]["customer"] for e in discount_events} == customers
    view = destination_view(incremental["first"], incremental["second"])["customers"]
    discounts = {customer: view[customer].get("discount") for customer in customers}
    assert discounts == {customer: store.get("customers", customer)["discount"] for customer in customers}
    applied = [d for d in discounts.values() if d]
    assert len(applied) == 1 and applied[0]["object"] == "discount" and applied[0]["source"]["coupon"] == "SUMMER"


def test_an_invoice_upcoming_event_is_no_record(incremental):
    store = incremental["emulator"].store
    upcoming = [e for e in store.events() if e["id"] in incremental["previews"]]
    assert [e["type"] for e in upcoming] == ["invoice.upcoming"] * 2
    second = incremental["second"]
    for stream, records in second.records.items():
        for record in records:
            assert record.get("id") and not str(record["id"]).startswith("upcoming_"), (stream, record.get("id"))
    assert "invoice.upcoming" not in EVENTED["invoices"] and "invoice.upcoming" not in REREAD_ON["invoice_items"]


def test_a_cursor_older_than_the_event_retention_re_reads_the_list_with_a_warning(incremental):
    emulator = incremental["emulator"]
    old = str(emulator.store.clock.now() - 40 * 86400)
    names = ["charges", "customers", "payment_links"]
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": n}, "stream_state": {"updated": old}}} for n in names]
    emulator.reset_stats()
    before = int(time.time())
    run = run_connector("read", emulator_config(emulator.url), _catalog(incremental["discovered"], names), state)
    assert run.returncode == 0, run.stderr
    assert "/v1/events" not in emulator.stats()["by_route"]
    for name in names:
        assert run.ids(name) == expected_ids(emulator.store, name, START_TS), name
        # The re-listed snapshots are current: they must win over the older event snapshots the destination holds.
        assert all(r["updated"] >= before for r in run.records[name]), name
        assert any(f"'{name}'" in m and "40.0 days old" in m for m in run.logs("WARN")), name
        assert int(run.final_state()[[s["stream"]["stream_descriptor"]["name"] for s in run.final_state()].index(name)]
                   ["stream"]["stream_state"]["updated"]) > int(old)


def test_charge_refunded_re_lists_the_refunds_on_old_api_versions():
    """On an account whose API version is before 2024-10-28, a charge's new refund sends only `charge.refunded`
    (the charge): the refunds stream re-lists the charge's refunds on it."""
    with Emulator(seed=19, scale=2) as emulator:
        store = emulator.store
        emulator.settings(api_version="2024-09-30.acacia")
        config = emulator_config(emulator.url)
        discovered = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        catalog = _catalog(discovered, ["refunds"])
        first = run_connector("read", config, catalog)
        assert first.returncode == 0, first.stderr
        state = first.final_state()
        cursor = int(state[0]["stream"]["stream_state"]["updated"])
        while store.clock.now() < cursor + 4:  # every scripted change (up to cursor + 3) in the past
            time.sleep(0.2)
        at = cursor + 1
        charges = [c["id"] for c in store.live_objects("charges")[:2]]
        new = {store.create("refunds", {"charge": charge}, at=at + n)["id"] for n, charge in enumerate(charges)}
        updated = next(r["id"] for r in store.live_objects("refunds") if r["id"] not in new)
        store.update("refunds", updated, {"metadata": {"reason": "late"}}, at=at + 2)
        sent = [e for e in store.events() if e["created"] >= at]
        assert sorted(e["type"] for e in sent) == ["charge.refund.updated", "charge.refunded", "charge.refunded"]
        emulator.reset_stats()
        second = run_connector("read", config, catalog, state)
        assert second.returncode == 0, second.stderr
        assert second.errors() == []
        refunds_of_the_charges = {r["id"] for r in store.live_objects("refunds") if r["charge"] in charges}
        assert new <= refunds_of_the_charges
        assert second.ids("refunds") == refunds_of_the_charges | {updated}
        view = destination_view(first, second)["refunds"]
        assert {i for i, r in view.items() if not r["is_deleted"]} == expected_ids(store, "refunds", START_TS)
        assert view[updated]["metadata"] == {"reason": "late"}
        assert emulator.stats()["by_route"].get("/v1/refunds") == len(charges)  # one re-list per charge
