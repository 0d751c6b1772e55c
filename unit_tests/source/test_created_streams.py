"""Streams whose cursor is `created` (`events`, `balance_transactions`, …), read incrementally through the CDK
against a mocked Stripe API: the `created` windows they request and the state they emit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.state_builder import StateBuilder

from helpers import API, START_TS, error_messages, make_config, page, params, record_data, requests_to, run_read

DAY = 86400


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def event_windows(mock):
    windows = sorted((int(params(r)["created[gte]"]), int(params(r)["created[lte]"])) for r in requests_to(mock, "events"))
    assert windows, "no request to /v1/events"
    return windows


def test_given_slice_range_10_and_start_25_days_ago_when_read_then_contiguous_created_windows_cover_start_to_now(stripe):
    start = (datetime.now(timezone.utc) - timedelta(days=25)).replace(microsecond=0)
    stripe.get(f"{API}/events", [page([])])
    output = run_read(["events"], make_config(start_date=iso(start), slice_range=10), sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    windows = event_windows(stripe)
    start_ts = int(start.timestamp())
    assert [gte for gte, _ in windows] == [start_ts, start_ts + 10 * DAY, start_ts + 20 * DAY]
    for (_, lte), (next_gte, _) in zip(windows, windows[1:]):
        assert next_gte == lte + 1  # contiguous, no overlap, no gap
    assert all(lte - gte < 10 * DAY for gte, lte in windows)
    assert abs(windows[-1][1] - datetime.now(timezone.utc).timestamp()) < 120


def test_given_events_when_read_then_records_and_a_state_at_the_newest_created_are_emitted(stripe):
    start = datetime.now(timezone.utc) - timedelta(days=3)
    created = int(start.timestamp()) + 3600
    stripe.get(f"{API}/events", [page([{"id": "evt_1", "created": created}])])
    output = run_read(["events"], make_config(start_date=iso(start)), sync_mode=SyncMode.incremental)
    assert [r["id"] for r in record_data(output)] == ["evt_1"]
    assert output.state_messages
    state = output.most_recent_state.stream_state.__dict__
    assert int(state["created"]) == created


def test_given_a_created_state_when_incremental_read_then_first_window_starts_at_the_cursor(stripe):
    cursor = int((datetime.now(timezone.utc) - timedelta(days=5)).timestamp())
    stripe.get(f"{API}/events", [page([])])
    state = StateBuilder().with_stream_state("events", {"created": cursor}).build()
    output = run_read(["events"], make_config(), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    first_gte = event_windows(stripe)[0][0]
    assert cursor <= first_gte <= cursor + 1
    assert first_gte > START_TS


def test_given_a_created_state_and_lookback_when_incremental_read_then_first_window_moves_back_by_the_lookback(stripe):
    cursor = int((datetime.now(timezone.utc) - timedelta(days=5)).timestamp())
    stripe.get(f"{API}/events", [page([])])
    state = StateBuilder().with_stream_state("events", {"created": cursor}).build()
    output = run_read(["events"], make_config(lookback_window_days=2), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    first_gte = event_windows(stripe)[0][0]
    assert cursor - 2 * DAY <= first_gte <= cursor - 2 * DAY + 1
