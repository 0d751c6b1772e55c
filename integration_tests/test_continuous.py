"""Continuous mode and the one events pass, against the emulator, with the connector run as users run it.

One continuous run (`poll_interval_seconds: 2`) of parents and children: it backfills, then picks up creates, updates
and deletes made in the emulator within the interval plus 2 s, with one request per idle poll; SIGTERM ends it within
2 s with a final STATE, and a batch run resumed from that state completes the destination to the emulator's truth.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Tuple

import pytest

from integration_tests.connector import (
    ContinuousProcess,
    Run,
    configured_catalog,
    destination_view,
    emulator_config,
    run_connector,
)
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids

START_TS = 1735689600
INTERVAL = 2
LATENCY_BOUND = INTERVAL + 2
STREAMS = ["charges", "customers", "invoices", "invoice_line_items", "subscriptions", "subscription_items",
           "payment_methods", "customer_balance_transactions"]


def is_record(stream: str, object_id: str, check=lambda data: True):
    return lambda m: m["type"] == "RECORD" and m["record"]["stream"] == stream and m["record"]["data"]["id"] == object_id \
        and check(m["record"]["data"])


def backfill_done(process: ContinuousProcess, streams: List[str]) -> bool:
    states = {m["state"]["stream"]["stream_descriptor"]["name"] for _t, m in process.lines if m["type"] == "STATE"}
    return set(streams) <= states


@pytest.fixture(scope="module")
def continuous():
    with Emulator(seed=21, scale=3) as emulator:
        discovered = run_connector("discover", emulator_config(emulator.url)).of_type("CATALOG")[0]["catalog"]["streams"]
        catalog = configured_catalog({**{name: "incremental" for name in STREAMS}, "accounts": "full_refresh"}, discovered)
        config = emulator_config(emulator.url, poll_interval_seconds=INTERVAL)
        process = ContinuousProcess(config, catalog)
        deadline = time.time() + 120
        while not backfill_done(process, STREAMS + ["accounts"]) and time.time() < deadline:
            time.sleep(0.2)
        assert backfill_done(process, STREAMS), process.lines[-5:]
        time.sleep(INTERVAL * 2)  # the first polls after the backfill
        # Idle: no change for 10 s.
        emulator.reset_stats()
        idle_started = time.time()
        time.sleep(10)
        idle = {"routes": emulator.stats()["by_route"], "seconds": time.time() - idle_started}
        # Changes across parents and children, each with the moment it was made.
        store = emulator.store
        changes: Dict[str, Tuple[str, str, Any, float]] = {}
        live_customers = [c["id"] for c in store.live_objects("customers") if c.get("created", 0) >= START_TS]
        charge = store.create("charges")
        changes["created charge"] = ("charges", charge["id"], lambda d: True, time.time())
        store.update("customers", live_customers[0], {"metadata": {"continuous": "yes"}})
        changes["updated customer"] = ("customers", live_customers[0],
                                       lambda d: d.get("metadata") == {"continuous": "yes"}, time.time())
        invoices = [i["id"] for i in store.live_objects("invoices") if i.get("created", 0) >= START_TS]
        store.delete("invoices", invoices[1])
        changes["deleted invoice"] = ("invoices", invoices[1], lambda d: d["is_deleted"] is True, time.time())
        invoice = store.get("invoices", invoices[0])
        line = store.create("invoice_line_items", parent_id=invoice["id"])
        changes["created invoice line"] = ("invoice_line_items", line["id"], lambda d: True, time.time())
        subscription = next(s for s in store.live_objects("subscriptions")
                            if s.get("created", 0) >= START_TS and store.children_of("subscription_items", s["id"]))
        item = store.children_of("subscription_items", subscription["id"])[0]["id"]
        store.delete("subscription_items", item)
        changes["deleted subscription item"] = ("subscription_items", item, lambda d: d["is_deleted"] is True,
                                                time.time())
        method = store.create("payment_methods", parent_id=live_customers[2])
        changes["attached payment method"] = ("payment_methods", method["id"], lambda d: True, time.time())
        latencies = {}
        for name, (stream, object_id, check, made) in changes.items():
            arrived = process.wait_for(is_record(stream, object_id, check), timeout=LATENCY_BOUND + 10)
            latencies[name] = None if arrived is None else arrived - made
        # A change, then SIGTERM before the run can have seen it: the resumed run must deliver it.
        late = store.create("charges")
        stop_seconds = process.stop()
        first = process.run()
        resumed = run_connector("read", emulator_config(emulator.url), catalog, first.final_state())
        yield {"emulator": emulator, "idle": idle, "latencies": latencies, "stop_seconds": stop_seconds,
               "first": first, "resumed": resumed, "late": late["id"]}


def test_changes_across_parents_and_children_arrive_within_the_interval_plus_two_seconds(continuous):
    latencies = continuous["latencies"]
    late = {name: seconds for name, seconds in latencies.items() if seconds is None or seconds > LATENCY_BOUND}
    assert not late, f"changes later than {LATENCY_BOUND} s (None: never): {late}"


def test_an_idle_poll_makes_exactly_one_request(continuous):
    idle = continuous["idle"]
    polls = idle["seconds"] / INTERVAL
    assert set(idle["routes"]) == {"/v1/events"}, idle["routes"]
    assert polls - 1.5 <= idle["routes"]["/v1/events"] <= polls + 1, idle


def test_sigterm_ends_the_run_within_two_seconds_after_a_final_state(continuous):
    first = continuous["first"]
    assert continuous["stop_seconds"] <= 2.0
    assert first.returncode == 0, first.stderr
    assert first.messages[-1]["type"] == "STATE"
    assert {s["stream"]["stream_descriptor"]["name"] for s in first.final_state()} >= set(STREAMS)


def test_the_stopped_run_and_the_resumed_one_together_hold_the_truth(continuous):
    store = continuous["emulator"].store
    resumed = continuous["resumed"]
    assert resumed.returncode == 0, resumed.stderr
    objects = lambda run: Run(run.returncode, "", "", [m for m in run.messages  # noqa: E731
                                                       if m["type"] != "RECORD" or m["record"]["stream"] in STREAMS])
    view = destination_view(objects(continuous["first"]), objects(resumed))
    for stream in STREAMS:
        live = {i for i, r in view[stream].items() if not r["is_deleted"]}
        assert live == expected_ids(store, stream, START_TS), stream
    assert continuous["late"] in view["charges"]
    for stream, gone in (("invoices", 1), ("subscription_items", 1)):
        assert sum(1 for r in view[stream].values() if r["is_deleted"]) >= gone, stream


def test_later_polls_show_changes_not_the_cdks_per_read_logs(continuous):
    first = continuous["first"]
    poll_logs = [m for m in first.logs("INFO") if m.startswith("source-stripe: poll ")]
    assert poll_logs, "no log line for a poll that moved something"
    finished = [m for m in first.logs("INFO") if m.startswith("Finished syncing")]
    assert len(finished) == len(STREAMS) + 2, "the CDK's per-read logs (first poll: one per stream and one in all)"


def test_a_batch_incremental_sync_of_every_stream_with_no_changes_reads_the_events_once():
    with Emulator(seed=4, scale=1) as emulator:
        discovered = run_connector("discover", emulator_config(emulator.url)).of_type("CATALOG")[0]["catalog"]["streams"]
        modes = {s["name"]: "incremental" if "incremental" in s["supported_sync_modes"] else "full_refresh"
                 for s in discovered}
        catalog = configured_catalog(modes, discovered)
        first = run_connector("read", emulator_config(emulator.url), catalog)
        assert first.returncode == 0, first.stderr
        time.sleep(1.5)
        emulator.reset_stats()
        second = run_connector("read", emulator_config(emulator.url), catalog, first.final_state())
        assert second.returncode == 0, second.stderr
        routes = emulator.stats()["by_route"]
    assert routes.pop("/v1/events") == 1
    incremental = {name for name, mode in modes.items() if mode == "incremental"}
    # Every other request is a full-refresh stream's (or the list behind its children), none an incremental one's.
    # An incremental stream re-emits at most the objects at its cursor's own second (`created[gte]` is inclusive).
    cursors = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in first.final_state()}
    for name in incremental & set(second.records):
        cursor = cursors[name].get("created", cursors[name].get("updated"))
        assert all(record.get("created") == int(cursor) for record in second.records[name]), name
    full_refresh_paths = {s["name"] for s in discovered if s["name"] not in incremental}
    assert sum(routes.values()) <= 3 * len(full_refresh_paths), routes
