"""Requests in flight against the emulator: a number in `num_workers` is a hard cap across everything the connector
runs, and auto mode adapts to Stripe's concurrency limiter, then rises again once the limit is lifted."""

from __future__ import annotations

import json
import random
import threading
import urllib.error
import urllib.request

import pytest

from integration_tests.connector import TEST_KEY, configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids

START = "2020-01-01T00:00:00Z"
START_TS = 1577836800
DAY = 86400
# Streams reading through every pool: the CDK's workers (windows of charges and customers), the density windows'
# probes, and the child listings of invoice_line_items (the lines of several invoices at once).
STREAMS = ("charges", "customers", "invoice_line_items")


@pytest.fixture(scope="module")
def emulator():
    """1,500 charges, 1,500 customers and 120 invoices of 2 lines each over 60 days; 20 ms per request, no rate limit
    (the connector's own budget is lifted by `call_rate_limit`: only concurrency is under test)."""
    with Emulator(seed=3, scale=1, rate_limit=False, latency_ms=20) as emu:
        store = emu.store
        now = store.clock.now()
        rng = random.Random(3)
        for resource in ("charges", "customers"):
            for _ in range(1_500):
                store.create(resource, at=now - rng.randint(3600, 60 * DAY))
        for _ in range(120):
            invoice = store.create("invoices", at=now - rng.randint(3600, 60 * DAY))
            for _ in range(2):
                store.create("invoice_line_items", parent_id=invoice["id"], at=invoice["created"])
        yield emu


def config(emu: Emulator, **overrides) -> dict:
    return emulator_config(emu.url, start_date=START, call_rate_limit=10_000, **overrides)


def read(emu: Emulator, **overrides):
    emu.reset_stats()
    run = run_connector("read", config(emu, **overrides), configured_catalog({name: "full_refresh" for name in STREAMS}))
    assert run.returncode == 0, run.stderr[-2000:]
    for stream in STREAMS:
        ids = [record["id"] for record in run.records[stream]]
        assert len(ids) == len(set(ids)) and set(ids) == expected_ids(emu.store, stream, START_TS), stream
    return run, emu.stats()


def test_stripe_never_sees_more_requests_in_flight_than_num_workers(emulator):
    _run, stats = read(emulator, num_workers=3)
    assert stats["max_in_flight"] == 3
    assert stats["rate_limited"] == 0


def test_auto_mode_adapts_to_a_concurrency_limit_and_rises_again_once_it_is_lifted(emulator):
    emulator.settings(max_in_flight=4, max_in_flight_for=100)
    try:
        _run, stats = read(emulator)
    finally:
        emulator.settings(max_in_flight=0)
    refused = stats["rate_limited_by_reason"].get("global-concurrency", 0)
    assert 0 < refused <= 0.1 * stats["total"]
    assert stats["max_in_flight_since_lift"] > 4


# --- the emulator's limiters ----------------------------------------------------------------------------------------


def get(emu: Emulator, path: str, key: str = TEST_KEY):
    request = urllib.request.Request(emu.url + path, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_the_emulator_refuses_requests_beyond_its_concurrency_limit_as_stripe_does():
    with Emulator(seed=1, scale=1, rate_limit=False, latency_ms=300) as emu:
        emu.settings(max_in_flight=2)
        start = threading.Barrier(6)
        answers = []

        def client() -> None:
            start.wait()
            answers.append(get(emu, "/v1/customers"))

        threads = [threading.Thread(target=client) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        refused = [answer for answer in answers if answer[0] == 429]
        assert sorted(status for status, _headers, _body in answers) == [200, 200, 429, 429, 429, 429]
        assert {headers["Stripe-Rate-Limited-Reason"] for _status, headers, _body in refused} == {"global-concurrency"}
        assert refused[0][2]["error"]["code"] == "rate_limit"
        stats = emu.stats()
        assert stats["max_in_flight"] == 6 and stats["rate_limited_by_reason"] == {"global-concurrency": 4}


def test_the_emulator_rate_limiter_names_its_reason():
    with Emulator(seed=1, scale=1, rate_limit=True) as emu:
        answers = [get(emu, "/v1/customers") for _ in range(40)]  # a test key: 25 per second
        refused = [headers for status, headers, _body in answers if status == 429]
        assert refused and {headers["Stripe-Rate-Limited-Reason"] for headers in refused} == {"global-rate"}
        assert "Retry-After" not in refused[0]
