"""Stripe Connect: one connection reads the platform and every connected account (`capture_connected_accounts`)."""

from __future__ import annotations

import calendar
import time
from typing import Any, Dict, List, Set, Tuple

import pytest

from integration_tests.connector import ContinuousProcess, Run, configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import all_streams, expected_account_ids

START_DATE = "2025-01-01T00:00:00Z"
START_TS = calendar.timegm(time.strptime(START_DATE, "%Y-%m-%dT%H:%M:%SZ"))
# Object streams (events), append-only (created), a child, a list re-read in full, Stripe's events.
INCREMENTAL = ["charges", "customers", "invoices", "subscriptions", "products", "balance_transactions",
               "invoice_line_items", "tax_rates", "events"]
# Lists the platform reads for itself (its connected accounts and their persons, ...).
PLATFORM_ONLY = {"accounts", "account_capabilities", "persons", "external_account_bank_accounts",
                 "external_account_cards"}


def connect_config(emulator: Emulator, **overrides: Any) -> Dict[str, Any]:
    return emulator_config(emulator.url, start_date=START_DATE, capture_connected_accounts=True, **overrides)


def account_pairs(run: Run, stream: str) -> Set[Tuple[str, str]]:
    return {(record["account_id"], record["id"]) for record in run.records.get(stream, [])}


def destination(*runs: Run) -> Dict[str, Dict[Tuple[str, str], Dict[str, Any]]]:
    """append_dedup on [account_id, id], the newest `updated` winning (later syncs on ties)."""
    view: Dict[str, Dict[Tuple[str, str], Dict[str, Any]]] = {}
    for run in runs:
        for stream, records in run.records.items():
            for record in records:
                key = (record["account_id"], record["id"])
                current = view.setdefault(stream, {}).get(key)
                if current is None or (record.get("updated") or 0) >= (current.get("updated") or 0):
                    view[stream][key] = record
    return view


def live(view: Dict[Tuple[str, str], Dict[str, Any]]) -> Set[Tuple[str, str]]:
    return {key for key, record in view.items() if not record.get("is_deleted")}


@pytest.fixture(scope="module")
def platform():
    """The platform and two connected accounts, each with its own objects and events."""
    with Emulator(seed=5, scale=2, rate_limit=False) as emulator:
        assert len(emulator.store.connected_accounts()) == 2
        yield emulator


def test_full_refresh_of_every_stream_yields_the_union_of_every_accounts_objects(platform):
    run = run_connector("read", connect_config(platform), configured_catalog({s: "full_refresh" for s in all_streams()}))
    assert run.returncode == 0, run.stderr
    assert run.errors() == []
    accounts = {platform.store.platform_id, *platform.store.connected_accounts()}
    covered = 0
    for stream in all_streams():
        expected = expected_account_ids(platform.store, stream, START_TS)
        assert account_pairs(run, stream) == expected, stream
        assert len(run.records.get(stream, [])) == len(expected), f"{stream}: duplicates"
        if stream not in PLATFORM_ONLY and {account for account, _ in expected} == accounts:
            covered += 1
    assert covered >= 90, "the seed gives too few streams objects in every account for the comparison to prove much"


def test_discover_keys_every_stream_by_account_and_id(platform):
    run = run_connector("discover", connect_config(platform))
    assert run.returncode == 0, run.stderr
    for stream in run.of_type("CATALOG")[0]["catalog"]["streams"]:
        assert stream["source_defined_primary_key"] == [["account_id"], ["id"]], stream["name"]
        assert "account_id" in stream["json_schema"]["properties"], stream["name"]


def test_without_connect_every_record_carries_the_platforms_id(platform):
    config = emulator_config(platform.url, start_date=START_DATE)
    run = run_connector("read", config, configured_catalog({"charges": "incremental", "invoice_line_items": "full_refresh"}))
    assert run.returncode == 0, run.stderr
    for stream in ("charges", "invoice_line_items"):
        assert run.records[stream]
        assert {record["account_id"] for record in run.records[stream]} == {platform.store.platform_id}, stream


def test_incremental_syncs_follow_creates_updates_and_deletes_in_different_accounts():
    with Emulator(seed=6, scale=2, rate_limit=False) as emulator:
        store = emulator.store
        first_account, second_account = store.connected_accounts()
        catalog = configured_catalog({stream: "incremental" for stream in INCREMENTAL})
        first = run_connector("read", connect_config(emulator), catalog)
        assert first.returncode == 0, first.stderr

        created = store.create("customers", account=first_account)
        changed = store.live_objects("customers", account=second_account)[0]
        store.update("customers", changed["id"], {"name": "Renamed"}, account=second_account)
        deleted = store.live_objects("products")[0]  # the platform's
        store.delete("products", deleted["id"])
        charge = store.create("charges", account=second_account)
        emulator.reset_stats()
        second = run_connector("read", connect_config(emulator), catalog, state=first.final_state())
        assert second.returncode == 0, second.stderr

        view = destination(first, second)
        for stream in INCREMENTAL:
            assert live(view.get(stream, {})) == expected_account_ids(store, stream, START_TS), stream
        assert view["customers"][(first_account, created["id"])]["is_deleted"] is False
        assert view["customers"][(second_account, changed["id"])]["name"] == "Renamed"
        assert view["products"][(store.platform_id, deleted["id"])]["is_deleted"] is True
        assert (second_account, charge["id"]) in account_pairs(second, "charges")
        # The second sync read each account's events once for all object streams: no list of them again.
        routes = emulator.stats()["by_route"]
        assert routes.get("/v1/charges", 0) == 0 and routes.get("/v1/customers", 0) == 0
        assert routes["/v1/events"] == 3  # one pass per account answers the object streams and the `events` stream


def test_an_account_added_between_syncs_is_backfilled_and_the_others_read_their_events():
    with Emulator(seed=7, scale=2, rate_limit=False) as emulator:
        store = emulator.store
        catalog = configured_catalog({"charges": "incremental", "customers": "incremental", "balance_transactions": "incremental"})
        first = run_connector("read", connect_config(emulator), catalog)
        assert first.returncode == 0, first.stderr

        newcomer = store.create("accounts")["id"]
        old_charges = [store.create("charges", account=newcomer, at=START_TS + 86400 * i)["id"] for i in range(1, 4)]
        second = run_connector("read", connect_config(emulator), catalog, state=first.final_state())
        assert second.returncode == 0, second.stderr
        assert {id_ for account, id_ in account_pairs(second, "charges") if account == newcomer} == set(old_charges)
        for stream in ("charges", "customers", "balance_transactions"):
            assert live(destination(first, second)[stream]) == expected_account_ids(store, stream, START_TS), stream
        accounts = second.final_state()[0]["stream"]["stream_state"]["accounts"]
        assert newcomer in accounts


def test_turning_connect_on_backfills_the_accounts_without_reading_the_platform_again():
    with Emulator(seed=8, scale=2, rate_limit=False) as emulator:
        store = emulator.store
        catalog = configured_catalog({"charges": "incremental"})
        alone = run_connector("read", emulator_config(emulator.url, start_date=START_DATE), catalog)
        assert alone.returncode == 0, alone.stderr
        assert {account for account, _ in account_pairs(alone, "charges")} == {store.platform_id}

        emulator.reset_stats()
        connect = run_connector("read", connect_config(emulator), catalog, state=alone.final_state())
        assert connect.returncode == 0, connect.stderr
        platform_records = [r for r in connect.records["charges"] if r["account_id"] == store.platform_id]
        assert len(platform_records) < len(alone.records["charges"])  # its events since the cursor, not its list
        assert live(destination(alone, connect)["charges"]) == expected_account_ids(store, "charges", START_TS)


def test_a_revoked_account_is_skipped_with_a_warn_and_read_again_once_access_returns():
    with Emulator(seed=9, scale=2, rate_limit=False) as emulator:
        store = emulator.store
        kept, revoked = store.connected_accounts()
        catalog = configured_catalog({"charges": "incremental", "customers": "incremental"})
        emulator.settings(revoke_after={revoked: 1})  # listed by /v1/accounts, then refused mid-sync
        run = run_connector("read", connect_config(emulator), catalog)
        assert run.returncode == 0, run.stderr
        refusals = [warning for warning in run.logs("WARN") if revoked in warning and "no longer grants" in warning]
        assert len(refusals) == 1, refusals  # one WARN for the account, however many of its requests were refused
        for stream in ("charges", "customers"):
            expected = expected_account_ids(store, stream, START_TS, [store.platform_id, kept])
            before_revocation = expected_account_ids(store, stream, START_TS, [revoked])  # its one admitted request
            assert expected <= account_pairs(run, stream) <= expected | before_revocation, stream
        for state in run.final_state():
            assert revoked not in state["stream"]["stream_state"]["accounts"], "a refused account's cursor moved"


def test_continuous_mode_delivers_each_accounts_changes_once_with_one_request_per_account_per_idle_poll():
    with Emulator(seed=10, scale=2, rate_limit=False) as emulator:
        store = emulator.store
        connected = store.connected_accounts()
        streams = ["charges", "customers"]
        catalog = configured_catalog({stream: "incremental" for stream in streams})
        process = ContinuousProcess(connect_config(emulator, poll_interval_seconds=2), catalog)
        try:
            deadline = time.time() + 120
            while time.time() < deadline and not {m["state"]["stream"]["stream_descriptor"]["name"]
                                                  for _t, m in process.lines if m["type"] == "STATE"} >= set(streams):
                time.sleep(0.2)
            time.sleep(4)  # the first polls after the backfill
            emulator.reset_stats()
            time.sleep(6)
            idle = emulator.stats()["by_route"]
            charge = store.create("charges", account=connected[1])
            arrived = process.wait_for(
                lambda m: m["type"] == "RECORD" and m["record"]["data"]["id"] == charge["id"]
                and m["record"]["data"]["account_id"] == connected[1], timeout=15)
            time.sleep(6)  # later polls re-read the overlap: the charge must not come again
        finally:
            process.stop()
        run = process.run()
        assert arrived is not None, "a connected account's new charge never arrived"
        polls = idle.get("/v1/events", 0) / (len(connected) + 1)
        assert polls >= 1 and polls == int(polls), idle  # one events request per account per poll
        assert set(idle) == {"/v1/events"}, idle  # the accounts listed by the first poll serve the next 5 minutes
        assert [r["id"] for r in run.records["charges"]].count(charge["id"]) == 1
