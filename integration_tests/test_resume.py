"""A sync killed (SIGKILL) between two states and resumed from the last emitted state loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from integration_tests.connector import REPO, configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids



def _read_until_states(config: dict, catalog: dict, states_before_kill: int, extra_args: list | None = None) -> tuple[set, list]:
    """Runs a read, SIGKILLs it right after its n-th STATE message; returns (ids read, last state per stream)."""
    ids, last_state = set(), {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(json.dumps(config))
        (Path(tmp) / "catalog.json").write_text(json.dumps(catalog))
        process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "read", "--config", "config.json", "--catalog", "catalog.json", *(extra_args or [])],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        seen_states = 0
        for line in process.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD":
                ids.add(message["record"]["data"]["id"])
            elif message["type"] == "STATE":
                last_state[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
                seen_states += 1
                if seen_states == states_before_kill:
                    process.send_signal(signal.SIGKILL)
                    break
        process.wait(timeout=30)
    return ids, list(last_state.values())


def test_killed_sync_resumed_from_its_last_state_loses_no_record():
    with Emulator(seed=21, scale=12) as emulator:
        # One-day windows: the history of `events` and `balance_transactions` is many partitions, each closed by a state.
        start = int(time.time()) - 35 * 86400
        config = emulator_config(
            emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)), slice_range=1, num_workers=2
        )
        catalog = configured_catalog({"events": "incremental", "balance_transactions": "incremental"})
        first_ids, state = _read_until_states(config, catalog, states_before_kill=24)
        assert state, "the killed sync emitted no state"

        resumed = run_connector("read", config, catalog, state)
        assert resumed.returncode == 0, resumed.stderr
        for stream in ("events", "balance_transactions"):
            expected = expected_ids(emulator.store, stream, start)
            assert expected <= first_ids | resumed.ids(stream), f"{stream}: records lost across the kill"
        assert resumed.ids("events") < expected_ids(emulator.store, "events", start), "the resume re-read everything"


def _changed_since(store, stream: str, parent_stream: str | None, types: list[str], since: int) -> set:
    """Ids an incremental read from `since` must return: the objects of the stream's events since then, or for a
    child stream that follows its parent, the live children of the parents changed since then."""
    changed = {e["data"]["object"]["id"] for e in store.events() if e["type"] in types and e["created"] >= since}
    if parent_stream is None:
        return changed
    return {c["id"] for pid in changed for c in store.children_of(stream, pid)}


def test_killed_incremental_sync_resumed_from_its_last_state_loses_no_change():
    from source_stripe.manifest import resolved_manifest, row_name

    rows = {row_name(r): r["$parameters"] for r in resolved_manifest()["streams"]}  # children linked to their parents
    with Emulator(seed=23, scale=12) as emulator:
        now = emulator.store.clock.now()
        cursor = now - 20 * 86400
        store = emulator.store
        lines = [c for pid in sorted(r.id for r in store.live_records("invoices"))
                 for c in store.children_of("invoice_line_items", pid)]
        for day in range(20):  # changes on every day since the cursor
            at = cursor + day * 86400 + 3600
            store.create("charges", at=at)
            store.create("customers", at=at)
            store.update("invoice_line_items", lines[day % len(lines)]["id"], {"metadata": {"day": str(day)}}, at=at)
        # One-day event windows, each closed by a state: twenty for each stream.
        config = emulator_config(emulator.url, slice_range=1, num_workers=2)
        streams = {"charges": None, "customers": None, "invoice_line_items": "invoices"}
        catalog = configured_catalog({name: "incremental" for name in streams})
        state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": n}, "stream_state": {"updated": cursor}}}
                 for n in streams]
        first_ids, resume_state = _read_until_states_from(config, catalog, state, states_before_kill=12)
        assert resume_state, "the killed sync emitted no state"
        resumed = run_connector("read", config, catalog, resume_state + [s for s in state if s["stream"]["stream_descriptor"]["name"]
                                                                         not in {r["stream"]["stream_descriptor"]["name"] for r in resume_state}])
        assert resumed.returncode == 0, resumed.stderr
        for stream, parent in streams.items():
            types = rows[stream].get("parent_event_types") or rows[stream]["event_types"]
            expected = _changed_since(emulator.store, stream, parent, types, cursor)
            assert expected, stream
            assert expected <= first_ids | resumed.ids(stream), f"{stream}: changes lost across the kill"
        advanced = {s["stream"]["stream_descriptor"]["name"] for s in resume_state
                    if int(s["stream"]["stream_state"]["updated"]) > cursor}
        assert advanced, "no stream's cursor moved before the kill"
        for stream in advanced:
            types = rows[stream].get("parent_event_types") or rows[stream]["event_types"]
            assert resumed.ids(stream) < _changed_since(emulator.store, stream, streams[stream], types, cursor - 60), \
                f"{stream}: the resume re-read every change ({resume_state}, cursor {cursor})"


def _read_until_states_from(config: dict, catalog: dict, state: list, states_before_kill: int) -> tuple[set, list]:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "state.json").write_text(json.dumps(state))
        ids, last = _read_until_states(config, catalog, states_before_kill, extra_args=["--state", str(Path(tmp) / "state.json")])
    return ids, last


def test_killed_first_sync_of_object_streams_resumes_its_list_and_then_reads_every_change_since_it_began():
    with Emulator(seed=29, scale=12) as emulator:
        store = emulator.store
        began = store.clock.now()
        # One-day list windows over 35 days, each closed by a checkpoint.
        start = began - 35 * 86400
        config = emulator_config(emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                                 slice_range=1, num_workers=2)
        for day in range(35):
            store.create("customers", at=start + day * 86400 + 3600)
        catalog = configured_catalog({"customers": "incremental"})
        first_ids, state = _read_until_states(config, catalog, states_before_kill=8)
        [checkpoint] = state
        blob = checkpoint["stream"]["stream_state"]
        assert blob["backfill_started"] >= began and start < blob["updated"] < began, blob

        # Between the kill and the resume: an object the killed read already had changes, a new one is created.
        changed = sorted(first_ids)[0]
        while store.clock.now() < blob["backfill_started"] + 2:
            time.sleep(0.2)
        store.update("customers", changed, {"metadata": {"after": "kill"}})
        created = store.create("customers")["id"]

        resumed = run_connector("read", config, catalog, state)
        assert resumed.returncode == 0, resumed.stderr
        assert "/v1/events" not in resumed.stdout  # sanity: nothing below relies on log text
        assert expected_ids(store, "customers", start) <= first_ids | resumed.ids("customers"), "records lost"
        assert not first_ids <= resumed.ids("customers"), "the resume re-read the whole list"
        [final] = resumed.final_state()
        assert final["stream"]["stream_state"] == {"updated": blob["backfill_started"]}

        # The next sync reads the events since the backfill began: the change made during the backfill arrives.
        after = run_connector("read", config, catalog, resumed.final_state())
        assert after.returncode == 0, after.stderr
        assert {changed, created} <= after.ids("customers")
        assert next(r for r in after.records["customers"] if r["id"] == changed)["metadata"] == {"after": "kill"}


def test_killed_first_sync_of_a_child_stream_resumes_from_its_last_window():
    with Emulator(seed=31, scale=2) as emulator:
        store = emulator.store
        start = store.clock.now() - 35 * 86400
        for day in range(35):  # an invoice with two lines on every day
            invoice = store.create("invoices", at=start + day * 86400 + 3600)["id"]
            for _ in range(2):
                store.create("invoice_line_items", parent_id=invoice, at=start + day * 86400 + 3600)
        # One-day windows of invoices, each closed by a checkpoint.
        config = emulator_config(emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                                 slice_range=1, num_workers=2)
        catalog = configured_catalog({"invoice_line_items": "incremental"})
        first_ids, state = _read_until_states(config, catalog, states_before_kill=10)
        [checkpoint] = state
        assert "backfill_started" in checkpoint["stream"]["stream_state"], checkpoint

        resumed = run_connector("read", config, catalog, state)
        assert resumed.returncode == 0, resumed.stderr
        expected = expected_ids(store, "invoice_line_items", start)
        assert expected <= first_ids | resumed.ids("invoice_line_items"), "lines lost across the kill"
        assert not first_ids <= resumed.ids("invoice_line_items"), "the resume listed every invoice again"
        [final] = resumed.final_state()
        assert final["stream"]["stream_state"] == {"updated": checkpoint["stream"]["stream_state"]["backfill_started"]}
