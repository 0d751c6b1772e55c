"""Density windows through the CDK: which streams get them, what is requested, what state is emitted."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import List

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.state_builder import StateBuilder

from fake_stripe import FakeStripeList
from helpers import API, START_TS, error_messages, make_catalog, make_config, record_data, run_read, one_window_config
from source_stripe.components.factory import StripeComponentFactory
from source_stripe.components.windows import DensityWindowCursor
from source_stripe.source import SourceStripe

NOW = int(datetime.now(timezone.utc).timestamp())
DAY = 86400


def spread(count: int, seed: int = 1) -> List[int]:
    rng = random.Random(seed)
    return [rng.randint(START_TS, NOW - 60) for _ in range(count)]


def test_created_list_and_events_cursors_get_density_windows():
    source = SourceStripe(config=make_config())
    streams = {s.name: s for s in source.streams(make_config())}
    assert isinstance(streams["balance_transactions"].cursor, DensityWindowCursor)
    assert isinstance(streams["events"].cursor, DensityWindowCursor)
    assert isinstance(streams["charges"].cursor, DensityWindowCursor)  # no state: the list path
    assert not isinstance(streams["payment_links"].cursor, DensityWindowCursor)  # no `created` filter
    assert type(source._constructor) is StripeComponentFactory

    state = StateBuilder().with_stream_state("charges", {"updated": str(NOW - 3600)}).build()
    with_state = SourceStripe(config=make_config(), state=state, catalog=make_catalog("charges"))
    charges = {s.name: s for s in with_state.streams(make_config())}["charges"]
    assert isinstance(charges.cursor, DensityWindowCursor)  # the events path too: a quiet stream is one request


def test_a_small_stream_is_read_with_one_request(stripe):
    charges = FakeStripeList(spread(40), prefix="ch")
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["charges"], one_window_config())
    assert len(record_data(output)) == 40
    # One listing; the read's one other request is `GET /v1/account`, for the records' `account_id`.
    assert [r.path for r in stripe.request_history if r.path != "/v1/account"] == ["/v1/charges"]


def test_a_big_history_is_read_as_many_windows_each_object_once_with_few_extra_requests(stripe):
    charges = FakeStripeList(spread(6_000), prefix="ch")
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["charges"], make_config(num_workers=5))
    assert not output.errors, error_messages(output)
    ids = [r["id"] for r in record_data(output)]
    assert len(ids) == len(set(ids)) == 6_000
    windows = sorted(set(charges.windows))
    assert len(windows) >= 3 * 5  # windows read from their first request (probes included)
    assert len(stripe.request_history) <= 1.25 * 6_000 / 100
    assert all(r["updated"] == r["created"] for r in record_data(output))


def test_the_state_stays_one_cursor_value_at_the_newest_record(stripe):
    createds = spread(3_000)
    stripe.get(f"{API}/balance_transactions", text=FakeStripeList(createds, prefix="txn"))
    output = run_read(["balance_transactions"], make_config(slice_range=3650), sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    states = [m.state.stream.stream_state.__dict__ for m in output.state_messages]
    assert all(set(state) == {"created"} for state in states)
    assert int(states[-1]["created"]) == max(createds)
    assert [int(s["created"]) for s in states] == sorted(int(s["created"]) for s in states)  # never goes back


def test_slice_range_still_caps_the_window_length(stripe):
    balance = FakeStripeList([], prefix="txn")
    stripe.get(f"{API}/balance_transactions", text=balance)
    output = run_read(["balance_transactions"], make_config(start_date="2025-01-01T00:00:00Z", slice_range=30),
                      sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    assert len(balance.windows) >= (NOW - START_TS) // (30 * DAY)  # an empty history is still read in 30-day windows
    assert all(lte - gte < 30 * DAY for gte, lte in balance.windows)
