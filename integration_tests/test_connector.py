"""The connector as users run it (`python main.py …`) against the Stripe emulator."""

from __future__ import annotations

import calendar
import json
import time

import pytest

from integration_tests.connector import TEST_KEY, configured_catalog, emulator_config, run_connector
from integration_tests.truth import expected_ids
from integration_tests.truth import all_streams


START_DATE = "2025-01-01T00:00:00Z"
START_TS = calendar.timegm(time.strptime(START_DATE, "%Y-%m-%dT%H:%M:%SZ"))


def test_spec_describes_both_config_shapes():
    run = run_connector("spec")
    assert run.returncode == 0
    properties = run.of_type("SPEC")[0]["spec"]["connectionSpecification"]["properties"]
    assert properties["credentials"]["properties"]["access_token"]["airbyte_secret"] is True
    assert properties["client_secret"]["airbyte_secret"] is True
    for name in ("start_date", "account_id", "lookback_window_days", "slice_range", "num_workers",
                 "call_rate_limit", "api_version", "api_base_url", "events_overlap_seconds"):
        assert name in properties


def test_check_with_a_valid_key_succeeds(emulator):
    run = run_connector("check", emulator_config(emulator.url))
    assert run.connection_status()["status"] == "SUCCEEDED"


def test_check_with_an_invalid_key_fails_without_showing_the_key(emulator):
    bad_key = "sk_test_NOTAVALIDKEY9876"
    config = emulator_config(emulator.url, credentials={"access_token": bad_key})
    run = run_connector("check", config)
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "rejected the API key" in status["message"]
    assert bad_key not in run.stdout + run.stderr
    assert "9876" not in run.stdout + run.stderr


def test_check_with_an_unreachable_host_fails_fast():
    run = run_connector("check", emulator_config("http://127.0.0.1:9"), timeout=60)
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "Cannot reach the Stripe API" in status["message"]


def test_discover_lists_54_streams_each_with_a_primary_key_and_a_schema(emulator, discovered):
    assert len(discovered) == len(all_streams())
    assert len({s["name"] for s in discovered}) == len(all_streams())
    for stream in discovered:
        assert stream["source_defined_primary_key"] == [["id"]], stream["name"]
        assert stream["json_schema"]["properties"]["id"], stream["name"]


def test_full_refresh_of_every_stream_returns_exactly_the_emulators_objects(emulator, discovered):
    catalog = configured_catalog({s["name"]: "full_refresh" for s in discovered}, discovered)
    run = run_connector("read", emulator_config(emulator.url), catalog)
    assert run.returncode == 0, run.stderr
    assert run.errors() == []
    for stream in discovered:
        name = stream["name"]
        expected = expected_ids(emulator.store, name, START_TS)
        assert expected, f"the emulator seeds no {name}: the comparison would prove nothing"
        assert run.ids(name) == expected, name
        assert len(run.records[name]) == len(expected), f"{name}: duplicates"


def test_child_records_carry_their_parent_id(emulator, discovered):
    catalog = configured_catalog(
        {"credit_note_line_items": "full_refresh", "checkout_sessions_line_items": "full_refresh",
         "invoice_line_items": "full_refresh", "payout_balance_transactions": "full_refresh"},
        discovered,
    )
    run = run_connector("read", emulator_config(emulator.url), catalog)
    assert run.returncode == 0, run.stderr
    for stream, parent_field, parent_resource in (
        ("credit_note_line_items", "credit_note", "credit_note_line_items"),
        ("checkout_sessions_line_items", "checkout_session", "checkout_sessions_line_items"),
        ("invoice_line_items", "invoice", "invoice_line_items"),
        ("payout_balance_transactions", "payout", "payout_balance_transactions"),
    ):
        records = run.records[stream]
        assert records, stream
        for record in records:
            parent_id = record[parent_field]
            assert record["id"] in {c["id"] for c in emulator.store.children_of(parent_resource, parent_id)}, stream


def test_seed_sample_config_and_bindings_sync(emulator, discovered):
    """The shape users bring from Estuary: charges incremental, customer balance transactions full refresh."""
    config = {
        "credentials": {"credentials_title": "Private App Credentials", "access_token": TEST_KEY},
        "start_date": START_DATE,
        "api_base_url": emulator.url,
    }
    catalog = configured_catalog({"charges": "incremental", "customer_balance_transactions": "full_refresh"}, discovered)
    run = run_connector("read", config, catalog)
    assert run.returncode == 0, run.stderr
    assert run.ids("charges") == expected_ids(emulator.store, "charges", START_TS)
    assert run.ids("customer_balance_transactions") == expected_ids(emulator.store, "customer_balance_transactions", START_TS)


def test_airbyte_5_config_shape_syncs(emulator, discovered):
    config = {
        "client_secret": TEST_KEY,
        "account_id": None,
        "start_date": START_DATE,
        "lookback_window_days": 0,
        "slice_range": 30,
        "num_workers": 4,
        "call_rate_limit": 20,
        "api_base_url": emulator.url,
    }
    catalog = configured_catalog({"balance_transactions": "incremental"}, discovered)
    run = run_connector("read", config, catalog)
    assert run.returncode == 0, run.stderr
    assert run.ids("balance_transactions") == expected_ids(emulator.store, "balance_transactions", START_TS)


def test_created_stream_incremental_sync_reads_only_new_objects(emulator, discovered):
    catalog = configured_catalog({"shipping_rates": "incremental"}, discovered)
    first = run_connector("read", emulator_config(emulator.url), catalog)
    assert first.returncode == 0, first.stderr
    state = first.final_state()
    assert state and state[0]["stream"]["stream_state"]["created"]

    created = emulator.store.create("shipping_rates", at=int(time.time()) - 5)
    second = run_connector("read", emulator_config(emulator.url), catalog, state)
    assert second.returncode == 0, second.stderr
    assert created["id"] in second.ids("shipping_rates")
    cursor = int(state[0]["stream"]["stream_state"]["created"])
    created_at = {o["id"]: o["created"] for o in emulator.store.live_objects("shipping_rates")}
    reread = {i for i in second.ids("shipping_rates") if created_at[i] < cursor}
    assert reread == set(), "objects older than the cursor were read again"


def test_restricted_key_fails_only_the_forbidden_stream_and_names_the_permission(emulator, discovered):
    key = "rk_test_emulator_restricted"
    catalog = configured_catalog({"accounts": "full_refresh", "charges": "full_refresh"}, discovered)
    run = run_connector("read", emulator_config(emulator.url, credentials={"access_token": key}), catalog)
    assert run.returncode != 0
    assert run.ids("charges") == expected_ids(emulator.store, "charges", START_TS)
    messages = " ".join(error["message"] for error in run.errors())
    assert "accounts" in messages and "rak_" in messages
    assert key not in run.stdout + run.stderr


def test_stream_of_a_product_not_enabled_is_skipped_with_a_warning(discovered):
    from integration_tests.emulator import Emulator

    with Emulator(seed=3, scale=2) as emulator:
        emulator.settings(features={"issuing": False})
        catalog = configured_catalog({"cards": "full_refresh", "charges": "full_refresh"}, discovered)
        run = run_connector("read", emulator_config(emulator.url), catalog)
        assert run.returncode == 0, run.stderr
        assert run.records.get("cards", []) == []
        assert run.ids("charges") == expected_ids(emulator.store, "charges", START_TS)
        assert any("cards" in message and "not enabled" in message for message in run.logs("WARN"))


def test_read_with_remote_plain_http_base_url_is_refused():
    catalog = configured_catalog({"charges": "full_refresh"})
    run = run_connector("read", emulator_config("http://stripe-proxy.example.com"), catalog)
    assert run.returncode == 1
    assert "clear text" in run.errors()[0]["message"]
    assert "Traceback" not in run.stdout + run.stderr


def test_without_start_date_only_the_last_30_days_are_read(emulator, discovered):
    config = emulator_config(emulator.url)
    del config["start_date"]
    streams = ("charges", "quotes", "events")
    catalog = configured_catalog({stream: "full_refresh" for stream in streams}, discovered)
    run = run_connector("read", config, catalog)
    assert run.returncode == 0, run.stderr
    thirty_days_ago = int(time.time()) - 30 * 86400
    for stream in streams:
        expected = expected_ids(emulator.store, stream, thirty_days_ago + 60)  # a minute of slack for the run itself
        assert expected <= run.ids(stream) <= expected_ids(emulator.store, stream, thirty_days_ago - 60), stream
    for stream in ("charges", "quotes"):
        assert run.ids(stream) != expected_ids(emulator.store, stream, START_TS), f"the seed has older {stream}"
