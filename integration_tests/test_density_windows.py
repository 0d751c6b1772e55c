"""Density windows against the emulator: skewed histories are read whole, each object once, in many windows."""

from __future__ import annotations

import json
import random
import urllib.request

import pytest

from integration_tests.connector import configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids

START = "2020-01-01T00:00:00Z"
START_TS = 1577836800
DAY = 86400


def stats(emu, reset: bool = False) -> dict:
    return json.loads(urllib.request.urlopen(emu.url + "/_emulator/stats" + ("?reset=1" if reset else "")).read())


@pytest.fixture(scope="module")
def skewed():
    """2,000 charges and balance transactions over 80 days, 90 % of them within one day."""
    with Emulator(seed=11, scale=1, rate_limit=False) as emu:
        now = emu.store.clock.now()
        rng = random.Random(5)
        busy_day = now - 40 * DAY
        for resource in ("charges", "balance_transactions"):
            for _ in range(200):
                emu.store.create(resource, at=now - rng.randint(3600, 80 * DAY))
            for _ in range(1_800):
                emu.store.create(resource, at=busy_day + rng.randint(0, DAY))
        yield emu


def test_a_history_with_90_percent_in_one_day_is_read_whole_and_each_object_once(skewed):
    stats(skewed, reset=True)
    run = run_connector(
        "read",
        emulator_config(skewed.url, start_date=START),
        configured_catalog({"charges": "full_refresh", "balance_transactions": "incremental"}),
    )
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in ("charges", "balance_transactions"):
        ids = [record["id"] for record in run.records[stream]]
        assert len(ids) == len(set(ids)), f"{stream}: an object was read twice"
        assert set(ids) == expected_ids(skewed.store, stream, START_TS), stream
    pages = sum(-(-len(run.records[s]) // 100) for s in ("charges", "balance_transactions"))
    created_windows = 6  # balance_transactions: 2020 to now in 365-day `slice_range` windows, one request each
    assert stats(skewed)["total"] <= 1.5 * pages + created_windows


def test_the_incremental_state_of_a_windowed_history_is_one_created_value_at_its_newest_object(skewed):
    run = run_connector(
        "read", emulator_config(skewed.url, start_date=START), configured_catalog({"balance_transactions": "incremental"})
    )
    assert run.returncode == 0, run.stderr[-2000:]
    final = run.final_state()[0]["stream"]["stream_state"]
    newest = max(record["created"] for record in run.records["balance_transactions"])
    assert final == {"created": newest}


def test_a_busy_events_history_is_read_as_windows_each_closed_by_a_state_and_misses_no_change():
    with Emulator(seed=12, scale=1, rate_limit=False) as emu:
        store = emu.store
        now = store.clock.now()
        cursor = now - 10 * DAY
        rng = random.Random(9)
        charges = [store.create("charges", at=cursor - DAY)["id"] for _ in range(300)]
        changed = set()
        for _ in range(2_500):  # 2,500 charge events since the cursor, most of them on one busy day
            charge = rng.choice(charges)
            at = cursor + 5 * DAY + rng.randint(0, DAY) if rng.random() < 0.8 else cursor + rng.randint(60, 9 * DAY)
            store.update("charges", charge, {"metadata": {"n": str(rng.random())}}, at=at)
            changed.add(charge)
        state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "charges"}, "stream_state": {"updated": cursor}}}]
        stats(emu, reset=True)
        run = run_connector("read", emulator_config(emu.url, start_date=START), configured_catalog({"charges": "incremental"}), state)
        assert run.returncode == 0, run.stderr[-2000:]
        assert run.ids("charges") == changed
        newest = {}
        for record in run.records["charges"]:
            newest[record["id"]] = max(newest.get(record["id"], 0), record["updated"])
        truth = {}
        for event in store.events():
            if event["type"].startswith("charge."):
                object_id = event["data"]["object"]["id"]
                truth[object_id] = max(truth.get(object_id, 0), event["created"])
        assert newest == {charge: truth[charge] for charge in changed}  # the newest snapshot of each arrived
        assert len([s for s in run.states if s["stream"]["stream_descriptor"]["name"] == "charges"]) > 3
        pages = -(-2_500 // 100)
        assert stats(emu)["total"] <= 2 * pages
