"""Transient failures from Stripe cost time, never records."""

from __future__ import annotations

import calendar
import time

from integration_tests.connector import configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids

START_TS = calendar.timegm(time.strptime("2025-01-01T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ"))


def test_resets_truncated_bodies_garbage_and_5xx_are_retried_without_losing_records():
    with Emulator(seed=11, scale=3) as emulator:
        emulator.set_faults(
            [
                {"path": "/v1/charges", "kind": "status", "status": 500, "count": 1},
                {"path": "/v1/customers", "kind": "reset", "count": 1},
                {"path": "/v1/invoices", "kind": "truncate", "count": 1},
                {"path": "/v1/products", "kind": "garbage", "count": 1},
                {"path": "/v1/prices", "kind": "status", "status": 429, "count": 2},
                {"path": "/v1/coupons", "kind": "status", "status": 409, "should_retry": True, "count": 1},
            ]
        )
        streams = ["charges", "customers", "invoices", "products", "prices", "coupons"]
        run = run_connector("read", emulator_config(emulator.url), configured_catalog({s: "full_refresh" for s in streams}))
        assert run.returncode == 0, run.stderr
        for stream in streams:
            assert run.ids(stream) == expected_ids(emulator.store, stream, START_TS), stream
        assert emulator.stats()["faults"] >= 7


def test_a_5xx_stripe_says_not_to_retry_fails_only_its_stream():
    with Emulator(seed=12, scale=2) as emulator:
        emulator.set_faults([{"path": "/v1/charges", "kind": "status", "status": 500, "should_retry": False, "count": 1}])
        run = run_connector("read", emulator_config(emulator.url), configured_catalog({"charges": "full_refresh", "customers": "full_refresh"}))
        assert run.returncode == 1
        assert run.ids("customers") == expected_ids(emulator.store, "customers", START_TS)
        assert any("Stripe-Should-Retry: false" in error["message"] for error in run.errors())


def test_faults_during_an_incremental_sync_of_objects_and_children_lose_no_change():
    from integration_tests.connector import destination_view

    with Emulator(seed=14, scale=3) as emulator:
        store = emulator.store
        config = emulator_config(emulator.url)
        streams = {"charges": "incremental", "invoices": "incremental", "invoice_line_items": "incremental",
                   "payment_methods": "incremental"}
        discovered = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        catalog = configured_catalog(streams, discovered)
        first = run_connector("read", config, catalog)
        assert first.returncode == 0, first.stderr
        cursor = max(s["stream"]["stream_state"]["updated"] for s in first.final_state())
        while store.clock.now() < cursor + 2:
            time.sleep(0.2)
        invoice = next(i for i in sorted(expected_ids(store, "invoices", START_TS)) if store.children_of("invoice_line_items", i))
        store.create("invoice_line_items", parent_id=invoice)
        store.update("charges", sorted(expected_ids(store, "charges", START_TS))[0], {"metadata": {"k": "v"}})
        customer = next(c for c in sorted(expected_ids(store, "customers", START_TS)) if store.children_of("payment_methods", c))
        store.create("payment_methods", parent_id=customer)
        emulator.set_faults(
            [
                {"path": "/v1/events", "kind": "status", "status": 503, "count": 2},
                {"path": "/v1/events", "kind": "reset", "count": 1},
                {"path": "/v1/events", "kind": "truncate", "count": 1},
                {"regex": r"^/v1/invoices/[^/]+/lines", "kind": "garbage", "count": 1},
                {"regex": r"^/v1/invoices/[^/]+/lines", "kind": "status", "status": 429, "count": 1},
            ]
        )
        second = run_connector("read", config, catalog, first.final_state())
        assert second.returncode == 0, second.stderr
        assert emulator.stats()["faults"] == 6  # every rule fired
        view = destination_view(first, second)
        for stream in streams:
            assert {i for i, r in view[stream].items() if not r["is_deleted"]} == expected_ids(store, stream, START_TS), stream


def test_an_unknown_stream_in_the_catalog_fails_the_sync_naming_it_and_the_other_streams_are_read():
    with Emulator(seed=15, scale=2) as emulator:
        run = run_connector("read", emulator_config(emulator.url), configured_catalog({"chargez": "full_refresh", "customers": "full_refresh"}))
        assert run.returncode == 1
        assert run.ids("customers") == expected_ids(emulator.store, "customers", START_TS)
        named = [e for e in run.errors() if (e.get("stream_descriptor") or {}).get("name") == "chargez"]
        assert [e["failure_type"] for e in named] == ["config_error"], run.errors()
        assert "Did you mean 'charges'?" in named[0]["message"]
        assert run.errors()[-1]["failure_type"] == "config_error"


OUTAGE_BUDGET = 4  # seconds, instead of the 10 minutes a real sync gets


def _outage_sync(monkeypatch, config, catalog, state):
    monkeypatch.setenv("SOURCE_STRIPE_OUTAGE_BUDGET_SECONDS", str(OUTAGE_BUDGET))
    started = time.monotonic()
    run = run_connector("read", config, catalog, state, timeout=120)
    return run, time.monotonic() - started


def _assert_ended_as_transient_errors(run, streams):
    assert run.returncode == 1, run.stderr
    per_stream = {e["stream_descriptor"]["name"]: e["failure_type"] for e in run.errors() if e.get("stream_descriptor")}
    assert per_stream == {stream: "transient_error" for stream in streams}, run.errors()
    assert run.errors()[-1]["failure_type"] == "transient_error"
    assert "config_error" not in {e["failure_type"] for e in run.errors()}


def test_an_outage_of_stripe_ends_within_the_retry_budget_as_transient_errors_with_the_last_state_emitted(monkeypatch):
    with Emulator(seed=16, scale=2) as emulator:
        config = emulator_config(emulator.url)
        discovered = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        catalog = configured_catalog({"charges": "incremental", "customers": "incremental"}, discovered)
        first = run_connector("read", config, catalog)
        assert first.returncode == 0, first.stderr
        emulator.set_faults([{"path": "/v1/", "kind": "status", "status": 503, "count": None}])  # every request, forever
        run, seconds = _outage_sync(monkeypatch, config, catalog, first.final_state())
        _assert_ended_as_transient_errors(run, ["charges", "customers"])
        assert seconds < OUTAGE_BUDGET + 20  # start-up, the budget, one last backoff
        assert run.final_state() == first.final_state()  # the last good state is emitted again, not lost
        assert emulator.stats()["faults"] >= 4  # retried, then given up


def test_stripe_unreachable_ends_within_the_retry_budget_as_transient_errors(monkeypatch):
    with Emulator(seed=17, scale=1) as emulator:
        closed = emulator.url  # the emulator stops: its port refuses connections
    run, seconds = _outage_sync(
        monkeypatch, emulator_config(closed), configured_catalog({"charges": "full_refresh", "customers": "full_refresh"}), None
    )
    _assert_ended_as_transient_errors(run, ["charges", "customers"])
    assert seconds < OUTAGE_BUDGET + 20
    assert run.records == {}
