"""Lists that Stripe filters by default (prices: active only; reviews: open only), read whole by the connector
against the emulator, and a killed first sync of them resumed without loss."""

from __future__ import annotations

import time

from integration_tests.connector import configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.test_resume import _read_until_states
from integration_tests.truth import expected_ids

DAY = 86400
STREAMS = ("prices", "reviews")


def seed_a_day_each(store, start: int, days: int) -> None:
    """Per day: an active and an archived price, a charge with an open review and one with a closed review (Radar
    opens a rule's review as the charge is made)."""
    for day in range(days):
        at = start + day * DAY + 3600
        store.create("prices", at=at)
        archived = store.create("prices", at=at)["id"]
        store.update("prices", archived, {"active": False}, at=at + 60)
        for closed in (False, True):
            charge = store.create("charges", at=at)["id"]
            review = store.create("reviews", fields={"charge": charge, "created": at}, at=at)["id"]
            if closed:
                store.update("reviews", review, {"open": False, "closed_reason": "approved"}, at=at + 60)


def test_a_full_refresh_reads_archived_prices_and_closed_reviews():
    with Emulator(seed=41, scale=2) as emulator:
        store = emulator.store
        start = store.clock.now() - 10 * DAY
        seed_a_day_each(store, start, 10)
        config = emulator_config(emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)))
        run = run_connector("read", config, configured_catalog({name: "full_refresh" for name in STREAMS}))
        assert run.returncode == 0, run.stderr
        for stream in STREAMS:
            expected = expected_ids(store, stream, start)
            assert run.ids(stream) == expected and len(run.records[stream]) == len(expected), stream
        read = {r["id"]: r for r in run.records["prices"] + run.records["reviews"]}
        assert sum(1 for r in read.values() if r.get("active") is False) == 10
        assert sum(1 for r in read.values() if r.get("open") is False) == 10


def test_a_killed_first_sync_of_prices_and_reviews_resumes_without_loss():
    with Emulator(seed=43, scale=2) as emulator:
        store = emulator.store
        start = store.clock.now() - 30 * DAY
        seed_a_day_each(store, start, 30)
        # One-day windows, each closed by a checkpoint once both of its lists are read.
        config = emulator_config(emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
                                 slice_range=1, num_workers=2)
        catalog = configured_catalog({name: "incremental" for name in STREAMS})
        first_ids, state = _read_until_states(config, catalog, states_before_kill=12)
        assert state and all("backfill_started" in s["stream"]["stream_state"] for s in state), state

        resumed = run_connector("read", config, catalog, state)
        assert resumed.returncode == 0, resumed.stderr
        for stream in STREAMS:
            expected = expected_ids(store, stream, start)
            assert expected <= first_ids | resumed.ids(stream), f"{stream}: records lost across the kill"
        resumed_from = {s["stream"]["stream_descriptor"]["name"] for s in state}
        assert any(not expected_ids(store, s, start) <= resumed.ids(s) for s in resumed_from), "the resume re-read all"
