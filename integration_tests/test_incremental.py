"""Incremental sync of the object streams through Stripe's events, against the emulator.

One connector run reads every evented stream at once: a first sync (the lists), scripted creates / updates /
deletes through the emulator's store (each emits the event Stripe would send), a second sync from the first one's
state (the events); the destination's view, merged as append_dedup would, must equal the emulator's truth.
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


def _evented_rows() -> dict[str, list[str]]:
    rows = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["streams"]
    return {
        row["$parameters"]["name"]: row["$parameters"]["event_types"]
        for row in rows
        if row.get("$ref", "").startswith("#/definitions/evented_")
    }


EVENTED = _evented_rows()
STREAMS = sorted(EVENTED)


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
        while emulator.store.clock.now() < ended + 2:
            time.sleep(0.2)
        scripted = {stream: _script_changes(emulator.store, stream, ended + 1) for stream in STREAMS}
        emulator.reset_stats()
        second = run_connector("read", config, _catalog(discovered, STREAMS), state)
        assert second.returncode == 0, second.stderr
        yield {"emulator": emulator, "discovered": discovered, "first": first, "second": second, "state": state,
               "scripted": scripted, "routes": emulator.stats()["by_route"]}


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


def test_second_sync_reads_only_the_events(incremental):
    routes = incremental["routes"]
    assert routes.get("/v1/events", 0) >= len(STREAMS)
    assert set(routes) == {"/v1/events"}, routes


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
    assert second.ids(stream) == changed | deleted, "the second sync re-read objects that did not change"
    assert len(second.records[stream]) == len(changed | deleted), "an object was emitted twice"
    for object_id in changed:  # the newest snapshot: the last update's metadata, a cancellation's status
        truth = store.get(stream, object_id)
        for field in ("metadata", "status"):
            assert view[object_id].get(field) == truth.get(field), (object_id, field)


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
