"""One shape per stream through an upgrade of the account's default API version, against the emulator.

Stripe renders a list or retrieve at the request's version (`Stripe-Version`, else the account's default) and an
event's `data.object` at the event's own `api_version`, the account's default when the event was created. The
account here starts at 2025-02-24.acacia; the first sync lists the streams whose shape changed since
(integration_tests/emulator/versions.py: invoices' `parent`, subscriptions' periods, promotion codes' `coupon`, …);
objects change (events at acacia); the account upgrades its default to 2025-09-30.clover; more objects change
(events at clover); the incremental sync runs from the first one's state; then a full refresh.

Each sync's records, from the list path and from the events path, must have the shape of the version that sync's
requests get, whichever version an event was created at: an event of another version is re-read by id. Two
variants: no `api_version` in the config (the requests get the account's default: acacia for the first sync,
clover after the upgrade), and `api_version` pinned to acacia (every record in acacia's shape).
"""

from __future__ import annotations

import time

import pytest

from integration_tests.connector import configured_catalog, destination_view, emulator_config, run_connector
from integration_tests.emulator import Emulator, versions
from integration_tests.emulator.events import EVENT_TYPES, event_type
from integration_tests.emulator.resources import resource
from integration_tests.truth import expected_ids

ACACIA, CLOVER = "2025-02-24.acacia", "2025-09-30.clover"
START_TS = 1735689600  # 2025-01-01T00:00:00Z, emulator_config's start_date
# The streams whose shapes differ in what the connector emits. Records leave out top-level nulls, so charges' and
# payment intents' `invoice` (null in the emulator at older versions, absent at newer ones) looks the same.
STREAMS = [s for s in versions.changed_resources() if s not in ("charges", "payment_intents")]
TOP_LEVEL = [s for s in STREAMS if not resource(s).parent]
ADDED_BY_THE_CONNECTOR = ("updated", "is_deleted", "account_id")
# variant -> (config's api_version, the version each of the three syncs' requests get)
VARIANTS = {"account_default": (None, (ACACIA, CLOVER, CLOVER)),
            "pinned_to_acacia": (ACACIA, (ACACIA, ACACIA, ACACIA))}


def _object_of(record: dict) -> dict:
    """A record as the object it carries: without the fields the connector adds."""
    return {k: v for k, v in record.items() if k not in ADDED_BY_THE_CONNECTOR}


def _emitted(obj: dict) -> dict:
    """An object as a record carries it: the connector's records leave out top-level nulls."""
    return {k: v for k, v in obj.items() if v is not None}


def _shape(obj: dict, stream: str) -> dict:
    """The fields the version table changes on this stream: present (not null) or not, and their values."""
    return {field: obj.get(field) for field in versions.changed_fields(stream)}


def _shape_version(record: dict, truth: dict, stream: str) -> str:
    """Which version's shape a record has, judged on the fields the versions differ in."""
    for version in (ACACIA, CLOVER):
        if _shape(record, stream) == _shape(versions.render(truth, stream, version), stream):
            return version
    return "neither"


def _live(store, stream: str) -> dict[str, dict]:
    """The objects a full read of the stream returns, as stored (at the current version), by id."""
    return {object_id: store.get(stream, object_id) for object_id in expected_ids(store, stream, START_TS)}


def _change(store, stream: str, picks: list[str], at: int) -> set[str]:
    """Creates one object and updates the picked ones (metadata), where Stripe sends an event for that."""
    changed = set()
    if event_type(stream, "create"):
        changed.add(store.create(stream, at=at)["id"])
    if EVENT_TYPES[stream].get("update"):
        for object_id in picks:
            store.update(stream, object_id, {"metadata": {"version_test": str(at)}}, at=at)
            changed.add(object_id)
    return changed


def _wait_past_the_cursors(store, state) -> int:
    """The changes happen after the first sync's cursors (as in test_incremental): returns a second past them."""
    ended = max(min(int(s["stream"]["stream_state"]["updated"]) for s in state), store.clock.now())
    while store.clock.now() < ended + 3:
        time.sleep(0.2)
    return ended + 1


@pytest.fixture(scope="module", params=sorted(VARIANTS))
def upgrade(request):
    pinned, request_versions = VARIANTS[request.param]
    with Emulator(seed=17, scale=3) as emulator:
        store = emulator.store
        emulator.settings(api_version=ACACIA)
        config = emulator_config(emulator.url, **({"api_version": pinned} if pinned else {}))
        discovered = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        incremental = configured_catalog({name: "incremental" for name in STREAMS}, discovered)
        first = run_connector("read", config, incremental)
        assert first.returncode == 0, first.stderr
        listed = {stream: _live(store, stream) for stream in STREAMS}
        state = first.final_state()
        at = _wait_past_the_cursors(store, state)
        picks = {s: sorted(o["id"] for o in store.live_objects(s) if o.get("created", START_TS) >= START_TS)[:3]
                 for s in TOP_LEVEL}
        # At acacia: the first and second picked objects change (and one is created); at clover the second and third.
        at_acacia = {s: _change(store, s, picks[s][:2], at) for s in TOP_LEVEL}
        emulator.settings(api_version=CLOVER)
        at_clover = {s: _change(store, s, picks[s][1:], at + 1) for s in TOP_LEVEL}
        second = run_connector("read", config, incremental, state)
        assert second.returncode == 0, second.stderr
        full = run_connector("read", config, configured_catalog({name: "full_refresh" for name in STREAMS}, discovered))
        assert full.returncode == 0, full.stderr
        yield {"emulator": emulator, "versions": request_versions, "first": first, "second": second, "full": full,
               "listed": listed, "picks": picks, "at_acacia": at_acacia, "at_clover": at_clover}


@pytest.mark.parametrize("stream", STREAMS)
def test_the_objects_read_again_look_different_at_the_two_versions(upgrade, stream):
    """Else the shape checks prove nothing: the changed objects (children: all of them) differ in their records at
    acacia and at clover. (A subscription created without items has no period to show at acacia either.)"""
    store = upgrade["emulator"].store
    ids = upgrade["picks"][stream] if stream in TOP_LEVEL else sorted(_live(store, stream))
    assert ids
    for object_id in ids:
        obj = store.get(stream, object_id)
        acacia, clover = (_emitted(versions.render(obj, stream, v)) for v in (ACACIA, CLOVER))
        assert _shape(acacia, stream) != _shape(clover, stream), object_id


def _events_of(store, version: str) -> list[dict]:
    return [e for e in store.events() if e["api_version"] == version]


def test_the_scripted_changes_leave_events_of_both_versions(upgrade):
    store = upgrade["emulator"].store
    for stream in TOP_LEVEL:
        assert upgrade["at_acacia"][stream] and upgrade["at_clover"][stream], stream
    acacia_ids = {e["data"]["object"]["id"] for e in _events_of(store, ACACIA)}
    clover_ids = {e["data"]["object"]["id"] for e in _events_of(store, CLOVER)}
    assert set().union(*upgrade["at_acacia"].values()) <= acacia_ids
    assert set().union(*upgrade["at_clover"].values()) <= clover_ids


@pytest.mark.parametrize("stream", STREAMS)
def test_the_first_syncs_list_records_have_the_shape_of_its_requests_version(upgrade, stream):
    version = upgrade["versions"][0]
    listed = upgrade["listed"][stream]
    records = upgrade["first"].records[stream]
    assert records, "the first sync read nothing"
    assert {r["id"] for r in records} <= set(listed)
    for record in records:
        assert _object_of(record) == _emitted(versions.render(listed[record["id"]], stream, version)), record["id"]


@pytest.mark.parametrize("stream", STREAMS)
def test_every_record_of_the_incremental_sync_has_the_shape_of_its_requests_version(upgrade, stream):
    version = upgrade["versions"][1]
    store = upgrade["emulator"].store
    truth = _live(store, stream)
    records = upgrade["second"].records[stream]
    changed = (upgrade["at_acacia"].get(stream, set()) | upgrade["at_clover"].get(stream, set()))
    assert changed <= {r["id"] for r in records}, "a changed object was not read"
    assert records, "the incremental sync read nothing"
    wrong = {r["id"]: _shape_version(r, truth[r["id"]], stream) for r in records
             if _shape(r, stream) != _shape(versions.render(truth[r["id"]], stream, version), stream)}
    assert not wrong, f"records in another version's shape (id: shape seen), the requests' version being {version}"


@pytest.mark.parametrize("stream", STREAMS)
def test_the_destination_holds_each_object_as_the_version_its_last_sync_read_it_at(upgrade, stream):
    first_version, second_version, _ = upgrade["versions"]
    store = upgrade["emulator"].store
    truth = _live(store, stream)
    read_again = upgrade["second"].ids(stream)
    view = destination_view(upgrade["first"], upgrade["second"])[stream]
    assert set(view) == set(truth)
    for object_id, record in view.items():
        if object_id in read_again:  # the newest snapshot, at the incremental sync's version
            expected = versions.render(truth[object_id], stream, second_version)
        else:
            expected = versions.render(upgrade["listed"][stream][object_id], stream, first_version)
        assert _object_of(record) == _emitted(expected), object_id


@pytest.mark.parametrize("stream", STREAMS)
def test_a_full_refresh_after_the_upgrade_lists_the_shape_of_its_requests_version(upgrade, stream):
    version = upgrade["versions"][2]
    truth = _live(upgrade["emulator"].store, stream)
    records = upgrade["full"].records[stream]
    assert {r["id"] for r in records} == set(truth)
    for record in records:
        assert _object_of(record) == _emitted(versions.render(truth[record["id"]], stream, version)), record["id"]
