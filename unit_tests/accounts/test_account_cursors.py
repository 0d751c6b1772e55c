"""One compact cursor per account: source_stripe/accounts/cursors.py."""

from __future__ import annotations

from typing import Any, Dict, List

from airbyte_cdk.sources.types import StreamSlice

from source_stripe.accounts.cursors import EVENTS, LIST, ONLY, AccountStates, AccountWindows, WindowPlan, platform_state
from source_stripe.accounts.directory import AccountDirectory

NOW = 1_800_000_000
DAY = 86_400
RETENTION = 29 * DAY


def directory(*connected: str, platform: str = "acct_platform") -> AccountDirectory:
    def fetch(path: str, params: Any) -> Dict[str, Any]:
        if path == "account":
            return {"id": platform}
        return {"data": [{"id": account} for account in connected], "has_more": False}

    return AccountDirectory(fetch, capture=True)


def states(incoming: Dict[str, Any], accounts: AccountDirectory, retention=RETENTION, emitted=None, refused=()) -> AccountStates:
    sink: List[Dict[str, Any]] = emitted if emitted is not None else []
    return AccountStates("charges", incoming, accounts, sink.append, retention=retention, now=NOW,
                         refused=lambda account: account in refused)


def window_slice(account: str, lo: int, hi: int) -> StreamSlice:
    return StreamSlice(partition={"account_id": account}, cursor_slice={"start_time": str(lo), "end_time": str(hi)})


def test_windows_cover_the_range_one_second_apart():
    plan = WindowPlan(start=0, end=25, step=10, lookback=0)
    assert plan.windows(0) == [(0, 9), (10, 19), (20, 25)]
    assert plan.windows(26) == []


def test_a_new_account_reads_its_list_and_a_fresh_cursor_its_events():
    accounts = directory("acct_new", "acct_fresh", "acct_stale")
    cursors = states({"platform": "acct_platform", "accounts": {"acct_fresh": NOW - DAY, "acct_stale": NOW - 40 * DAY}}, accounts)
    assert cursors.path_of("acct_new") == LIST
    assert cursors.path_of("acct_fresh") == EVENTS
    assert cursors.path_of("acct_stale") == LIST
    assert cursors.stale_accounts(["acct_new", "acct_fresh", "acct_stale"]) == ["acct_stale"]


def test_an_append_only_stream_has_one_path_for_every_account():
    cursors = states({}, directory("acct_a"), retention=None)
    assert cursors.path_of("acct_a") == ONLY


def test_a_flat_state_is_the_platforms_cursor():
    cursors = states({"updated": str(NOW - DAY)}, directory("acct_a"))
    assert cursors.cursor("acct_platform") == NOW - DAY
    assert cursors.path_of("acct_platform") == EVENTS
    assert cursors.path_of("acct_a") == LIST


def test_an_account_cursor_moves_to_the_end_of_its_windows_when_all_are_read_even_without_records():
    emitted: List[Dict[str, Any]] = []
    cursors = states({"platform": "acct_platform", "accounts": {"acct_a": NOW - DAY}}, directory("acct_a"), emitted=emitted)
    cursors.plan("acct_a", EVENTS, [(NOW - DAY - 60, NOW)], NOW)
    cursors.close(window_slice("acct_a", NOW - DAY - 60, NOW))
    cursors.emit()
    assert emitted[-1]["accounts"]["acct_a"] == NOW


def test_an_interrupted_list_keeps_its_progress_and_ends_at_when_it_began():
    accounts = directory("acct_a")
    first = states({}, accounts)
    windows = [(100, 199), (200, 299), (300, 399)]
    first.plan("acct_a", LIST, windows, 399)
    first.close(window_slice("acct_a", 200, 299))  # out of order: no progress yet
    assert first.state()["backfills"]["acct_a"]["until"] == 99
    first.close(window_slice("acct_a", 100, 199))
    assert first.state()["backfills"]["acct_a"] == {"until": 299, "started": 399}
    assert "acct_a" not in first.state()["accounts"]

    resumed = states(first.state(), accounts)
    plan = WindowPlan(start=100, end=500, step=100, lookback=0)
    assert resumed.path_of("acct_a") == LIST
    assert resumed.since("acct_a", LIST, plan) == 300
    resumed.plan("acct_a", LIST, plan.windows(300), 500)
    for lo, hi in plan.windows(300):
        resumed.close(window_slice("acct_a", lo, hi))
    assert resumed.state()["accounts"]["acct_a"] == 399  # the first attempt's start: its events are read next
    assert "backfills" not in resumed.state()


def test_a_refused_account_keeps_its_cursor():
    cursors = states({"platform": "acct_platform", "accounts": {"acct_a": NOW - DAY}}, directory("acct_a"), refused={"acct_a"})
    cursors.plan("acct_a", EVENTS, [(NOW - DAY, NOW)], NOW)
    cursors.close(window_slice("acct_a", NOW - DAY, NOW))
    assert cursors.state()["accounts"]["acct_a"] == NOW - DAY


def test_state_is_emitted_at_most_every_few_seconds_while_reading():
    emitted: List[Dict[str, Any]] = []
    cursors = states({}, directory(*(f"acct_{i}" for i in range(50))), retention=None, emitted=emitted)
    for i in range(50):
        cursors.plan(f"acct_{i}", ONLY, [(0, 10)], 10)
        cursors.close(window_slice(f"acct_{i}", 0, 10))
    assert 1 <= len(emitted) <= 2
    cursors.emit()
    assert len(emitted[-1]["accounts"]) == 50


def test_every_account_gets_its_first_window_before_any_gets_its_second():
    accounts = directory("acct_a", "acct_b")
    cursors = states({}, accounts)
    windows = AccountWindows(cursors, LIST, lambda: WindowPlan(start=0, end=29, step=10, lookback=0), cursor_field=None)  # type: ignore[arg-type]
    order = [(s.partition["account_id"], s.cursor_slice["start_time"]) for s in windows.stream_slices()]
    assert order[:3] == [("acct_platform", "0"), ("acct_a", "0"), ("acct_b", "0")]
    assert len(order) == 9
    assert all(s.partition.get("stripe_account") in (None, s.partition["account_id"]) for s in windows.stream_slices())


def test_a_connect_state_gives_a_read_without_connect_the_platforms_cursor():
    state = {"platform": "acct_p", "accounts": {"acct_p": 5, "acct_a": 9}}
    assert platform_state(state, "updated") == {"updated": 5}
    assert platform_state({"platform": "acct_p", "accounts": {}, "backfills": {"acct_p": {"until": 3, "started": 7}}}, "updated") == {
        "updated": 3, "backfill_started": 7}
