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
