"""A stream state's one cursor, whatever shape the saved state has (ours, or Airbyte's Stripe connector 5.x: string
cursors, nested global or per-partition blobs of child streams)."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from airbyte_cdk.models import AirbyteStateBlob

from source_stripe.state.cursors import backfill_started, epoch, flat_cursor, is_no_cursor_state

JAN_1_2026 = 1767225600  # 2026-01-01T00:00:00Z


def partition(invoice: str, cursor: Any) -> Dict[str, Any]:
    return {"partition": {"parent_slice": {}, "invoice": invoice}, "cursor": {"updated": cursor}}


def test_an_integer_cursor_is_the_cursor():
    assert flat_cursor({"updated": JAN_1_2026}, "updated") == JAN_1_2026


def test_a_numeric_string_cursor_is_read_as_an_integer():
    assert flat_cursor({"updated": "1767225600"}, "updated") == JAN_1_2026


def test_a_float_string_cursor_is_read_down_to_the_second():
    assert flat_cursor({"updated": "1767225600.9"}, "updated") == JAN_1_2026


def test_the_other_cursor_name_stands_in_for_a_missing_cursor():
    assert flat_cursor({"created": "1767225600"}, "updated") == JAN_1_2026
    assert flat_cursor({"updated": JAN_1_2026}, "created") == JAN_1_2026


def test_the_streams_own_cursor_name_wins_over_the_other():
    assert flat_cursor({"created": 5, "updated": JAN_1_2026}, "updated") == JAN_1_2026


def test_a_nested_global_cursor_is_the_cursor():
    state = {"use_global_cursor": True, "state": {"updated": "1767225600"}, "lookback_window": 0}
    assert flat_cursor(state, "updated") == JAN_1_2026


def test_per_partition_cursors_give_the_oldest_of_them():
    state = {
        "states": [partition("in_1", "1767300000"), partition("in_2", "1767225600"), partition("in_3", 1767400000)],
        "parent_state": {"invoices": {"updated": "1767500000"}},
    }
    assert flat_cursor(state, "updated") == JAN_1_2026


def test_the_parent_state_is_not_the_childs_cursor():
    assert flat_cursor({"parent_state": {"invoices": {"updated": "1767500000"}}}, "updated") is None


def test_per_partition_cursors_with_one_partition_whose_cursor_is_unreadable_give_no_cursor():
    state = {"states": [partition("in_1", "1767300000"), {"partition": {"invoice": "in_2"}, "cursor": {}}]}
    assert flat_cursor(state, "updated") is None
    state = {"states": [partition("in_1", "1767300000"), partition("in_2", "yesterday")]}
    assert flat_cursor(state, "updated") is None


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"updated": None},
        {"updated": ""},
        {"updated": "2026-01-01T00:00:00Z"},
        {"updated": True},
        {"updated": [JAN_1_2026]},
        {"state": "1767225600"},
        {"states": []},
        {"states": "1767225600"},
        {"something": "else"},
    ],
)
def test_garbage_has_no_cursor(state):
    assert flat_cursor(state, "updated") is None


def test_the_cdks_no_cursor_state_is_recognised():
    assert is_no_cursor_state(AirbyteStateBlob(__ab_no_cursor_state_message=True))
    assert is_no_cursor_state({"__ab_no_cursor_state_message": True})
    assert not is_no_cursor_state(AirbyteStateBlob(updated=JAN_1_2026))
    assert not is_no_cursor_state(None)


def test_a_state_blob_is_read_like_a_mapping():
    assert flat_cursor(AirbyteStateBlob(updated="1767225600"), "updated") == JAN_1_2026
    assert flat_cursor(None, "updated") is None


def test_backfill_started_marks_an_interrupted_first_read():
    assert backfill_started({"updated": JAN_1_2026, "backfill_started": "1767300000"}) == 1767300000
    assert backfill_started(AirbyteStateBlob(updated=JAN_1_2026)) is None


@pytest.mark.parametrize("value, seconds", [(5, 5), ("5", 5), ("5.9", 5), (5.9, 5), (True, None), (None, None), ("x", None)])
def test_epoch_reads_whole_seconds_and_nothing_else(value, seconds):
    assert epoch(value) == seconds


def test_per_partition_cursors_with_a_partition_lacking_its_cursor_give_no_cursor():
    state = {"states": [{"partition": {"parent_slice": {}, "invoice": "in_1"}, "cursor": {"updated": "1767300000"}},
                        {"partition": {"parent_slice": {}, "invoice": "in_2"}}]}
    assert flat_cursor(state, "updated") is None
