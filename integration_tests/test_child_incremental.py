"""Incremental sync of the child streams against the emulator.

Children that follow their parent are re-listed for each parent whose events changed since the cursor; children
with events of their own (payment methods, customer cards and bank accounts) read those events. One connector run
reads every such stream: a first sync (every parent's children), scripted creates / updates / deletes of children and
parents through the emulator's store (each emits the event Stripe would send: the parent's update event for
children without events of their own, with the parent's embedded list in `previous_attributes`), then a second sync
from the first one's state. The destination's view, merged as append_dedup would, must equal the emulator's truth.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from integration_tests.connector import configured_catalog, destination_view, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.emulator.resources import resource
from integration_tests.truth import expected_ids

START_TS = 1735689600  # 2025-01-01T00:00:00Z, emulator_config's start_date
MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yaml"


def _child_rows(kind: str) -> list[str]:
    rows = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["streams"]
    return sorted(row["$parameters"]["name"] for row in rows if row.get("$ref") == f"#/definitions/{kind}")


FOLLOWING = _child_rows("following_child_stream")
OWN_EVENTS = _child_rows("own_evented_child_stream")
STREAMS = FOLLOWING + OWN_EVENTS
RE_LISTED = _child_rows("child_stream")


def _live_parents_with_children(store, stream):
    res = resource(stream)
    parents = expected_ids(store, res.parent, START_TS)
    return [pid for pid in sorted(parents) if store.children_of(stream, pid)]


def _script_changes(store, stream, at):
    """Per child stream: a new child under a parent, an update of another child, and where Stripe can remove one (a
    child its parent embeds, or one with events of its own) a deleted child. Returns (changed ids, deleted ids)."""
    parents = _live_parents_with_children(store, stream)
    changed, deleted = set(), set()
    changed.add(store.create(stream, parent_id=parents[0], at=at)["id"])
    kids = store.children_of(stream, parents[-1])
    store.update(stream, kids[0]["id"], {"metadata": {"sync": "second"}}, at=at)
    changed.add(kids[0]["id"])
    if resource(stream).embed_in or stream in OWN_EVENTS:
        victim = next(c["id"] for pid in parents for c in store.children_of(stream, pid) if c["id"] not in changed)
        store.delete(stream, victim, at=at + 1)
        # A soft delete (an issuing token's status becomes `deleted`) is a change: Stripe still lists the object.
        (deleted if resource(stream).deletable == "hard" else changed).add(victim)
    return changed, deleted


@pytest.fixture(scope="module")
def children():
    with Emulator(seed=13, scale=3) as emulator:
        config = emulator_config(emulator.url)
        discovered = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        catalog = configured_catalog({name: "incremental" for name in STREAMS}, discovered)
        first = run_connector("read", config, catalog)
        assert first.returncode == 0, first.stderr
        state = first.final_state()
        first_truth = {stream: expected_ids(emulator.store, stream, START_TS) for stream in STREAMS}
        cursor = min(int(s["stream"]["stream_state"]["updated"]) for s in state)
        while emulator.store.clock.now() < cursor + 2:
            time.sleep(0.2)
        scripted = {stream: _script_changes(emulator.store, stream, cursor + 1) for stream in STREAMS}
        # A deleted invoice: Stripe answers 404 for its lines; the lines it embedded are flagged.
        store = emulator.store
        invoice = next(pid for pid in _live_parents_with_children(store, "invoice_line_items")
                       if not ({c["id"] for c in store.children_of("invoice_line_items", pid)} & set().union(*scripted["invoice_line_items"])))
        deleted_lines = {c["id"] for c in store.children_of("invoice_line_items", invoice)}
        store.delete("invoices", invoice, at=cursor + 1)
        scripted["invoice_line_items"][1].update(deleted_lines)
        emulator.reset_stats()
        second = run_connector("read", config, catalog, state)
        assert second.returncode == 0, second.stderr
        yield {"emulator": emulator, "discovered": discovered, "first": first, "second": second, "state": state,
               "scripted": scripted, "routes": emulator.stats()["by_route"], "first_truth": first_truth}


def test_the_child_kinds_cover_every_child_stream():
    from integration_tests.emulator.resources import RESOURCES

    assert sorted(FOLLOWING + OWN_EVENTS + RE_LISTED) == sorted(r.key for r in RESOURCES if r.is_child)


def test_discover_offers_incremental_on_updated_for_children_read_through_events(children):
    by_name = {s["name"]: s for s in children["discovered"]}
    for stream in STREAMS:
        assert "incremental" in by_name[stream]["supported_sync_modes"], stream
        assert by_name[stream]["default_cursor_field"] == ["updated"], stream
    for stream in RE_LISTED:
        assert by_name[stream]["supported_sync_modes"] == ["full_refresh"], stream


def test_first_sync_lists_every_parents_children_and_saves_an_integer_updated_cursor(children):
    first = children["first"]
    assert first.errors() == []
    by_name = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in children["state"]}
    assert set(by_name) == set(STREAMS)
    for stream in STREAMS:
        assert first.ids(stream) == children["first_truth"][stream], stream
        assert set(by_name[stream]) == {"updated"} and isinstance(by_name[stream]["updated"], int), by_name[stream]
        assert all(r["is_deleted"] is False and isinstance(r["updated"], int) for r in first.records[stream]), stream
    assert not [s for s in first.states if "__ab_no_cursor_state_message" in s["stream"]["stream_state"]]


def test_second_sync_reads_events_and_lists_only_the_changed_parents_children(children):
    routes = children["routes"]
    assert routes.get("/v1/events", 0) == 1, "one events pass answers every child stream"
    listings = {route: n for route, n in routes.items() if route != "/v1/events"}
    changed_parents = sum(1 for stream in FOLLOWING for _ in children["scripted"][stream][0]) + len(FOLLOWING)
    assert sum(listings.values()) <= changed_parents, listings  # no re-listing of unchanged parents
    for parent_route in ("/v1/invoices", "/v1/customers", "/v1/subscriptions", "/v1/transfers"):
        assert parent_route not in routes, "a parent list was read again"


@pytest.mark.parametrize("stream", STREAMS)
def test_destination_equals_the_emulators_truth(children, stream):
    store = children["emulator"].store
    changed, deleted = children["scripted"][stream]
    view = destination_view(children["first"], children["second"])[stream]
    live = {i for i, r in view.items() if not r["is_deleted"]}
    gone = {i for i, r in view.items() if r["is_deleted"]}
    assert live == expected_ids(store, stream, START_TS)
    assert gone == deleted
    if resource(stream).embed_in or (stream in OWN_EVENTS and resource(stream).deletable == "hard"):
        assert deleted, "the script removed no child of this stream"
    second_ids = children["second"].ids(stream)
    assert changed | deleted <= second_ids
    for object_id in changed:
        assert view[object_id].get("metadata") == store_object(store, stream, object_id).get("metadata"), object_id


def store_object(store, stream, object_id):
    for parent in expected_ids(store, resource(stream).parent, START_TS):
        for child in store.children_of(stream, parent):
            if child["id"] == object_id:
                return child
    raise KeyError(object_id)


@pytest.mark.parametrize("stream", STREAMS)
def test_child_streams_emit_only_child_objects(children, stream):
    store = children["emulator"].store
    kinds = {o["object"] for o in store.live_objects(stream)}
    parent_field = resource(stream).parent_field
    for record in children["first"].records[stream] + children["second"].records.get(stream, []):
        if record["is_deleted"] and "object" not in record:
            assert set(record) == {"id", parent_field, "updated", "is_deleted", "account_id"}, record
        else:
            assert record["object"] in kinds, record
            assert record.get(parent_field), record


def test_a_child_cursor_older_than_the_event_retention_re_lists_with_a_warning(children):
    emulator = children["emulator"]
    old = emulator.store.clock.now() - 40 * 86400
    names = ["invoice_line_items", "payment_methods"]
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": n}, "stream_state": {"updated": old}}} for n in names]
    catalog = configured_catalog({n: "incremental" for n in names}, children["discovered"])
    emulator.reset_stats()
    run = run_connector("read", emulator_config(emulator.url), catalog, state)
    assert run.returncode == 0, run.stderr
    assert "/v1/events" not in emulator.stats()["by_route"]
    for name in names:
        assert run.ids(name) == expected_ids(emulator.store, name, START_TS), name
        assert any(f"'{name}'" in m and "40.0 days old" in m for m in run.logs("WARN")), name


def test_children_re_listed_in_full_on_every_sync_equal_the_emulators_truth_after_changes():
    with Emulator(seed=17, scale=3) as emulator:
        store = emulator.store
        config = emulator_config(emulator.url)
        catalog = configured_catalog({name: "full_refresh" for name in RE_LISTED})
        first = run_connector("read", config, catalog)
        assert first.returncode == 0, first.stderr
        removed = {}
        for stream in RE_LISTED:
            parents = _live_parents_with_children(store, stream)
            store.create(stream, parent_id=parents[0])
            removed[stream] = store.children_of(stream, parents[-1])[0]["id"]
            store.delete(stream, removed[stream])
        second = run_connector("read", config, catalog, first.final_state())
        assert second.returncode == 0, second.stderr
        for stream in RE_LISTED:
            assert second.ids(stream) == expected_ids(store, stream, START_TS), stream
            assert removed[stream] in first.ids(stream) and removed[stream] not in second.ids(stream), stream
