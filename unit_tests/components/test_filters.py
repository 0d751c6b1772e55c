"""filters.py: NewestSnapshotFilter (an object's newest snapshot per window) and NewestChildSnapshotFilter (the same
for children read from events, of the stream's kind and with a parent)."""

import threading

import pytest
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.filters import NewestChildSnapshotFilter, NewestSnapshotFilter

WINDOW_A = StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "2"})
WINDOW_B = StreamSlice(partition={}, cursor_slice={"start_time": "2", "end_time": "3"})

# --- NewestSnapshotFilter --------------------------------------------------------------------------------------


def keep(record_filter, records, stream_slice=WINDOW_A):
    return [r["updated"] for r in record_filter.filter_records(records, stream_state={}, stream_slice=stream_slice)]


def test_only_the_first_newest_snapshot_of_an_object_is_kept_across_pages():
    record_filter = NewestSnapshotFilter(parameters={}, config={})
    assert keep(record_filter, [{"id": "a", "updated": 9}, {"id": "b", "updated": 8}, {"id": "a", "updated": 7}]) == [9, 8]
    assert keep(record_filter, [{"id": "b", "updated": 6}, {"id": "c", "updated": 5}]) == [5]


def test_each_window_is_deduplicated_on_its_own():
    record_filter = NewestSnapshotFilter(parameters={}, config={})
    assert keep(record_filter, [{"id": "a", "updated": 9}], WINDOW_B) == [9]
    assert keep(record_filter, [{"id": "a", "updated": 2}], WINDOW_A) == [2]


def test_concurrent_windows_share_one_instance_safely():
    record_filter = NewestSnapshotFilter(parameters={}, config={})
    results = {}

    def read(name, window):
        results[name] = keep(record_filter, [{"id": str(i % 50), "updated": i} for i in range(1000)], window)

    threads = [threading.Thread(target=read, args=(n, w)) for n, w in (("a", WINDOW_A), ("b", WINDOW_B))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["a"] == results["b"] == list(range(50))


def test_a_window_read_to_its_end_is_forgotten_when_its_thread_moves_on():
    record_filter = NewestSnapshotFilter(parameters={}, config={})
    keep(record_filter, [{"id": str(i), "updated": i} for i in range(1000)], WINDOW_A)
    keep(record_filter, [{"id": "x", "updated": 1}], WINDOW_B)
    assert record_filter._reading.seen == {"x"}  # only the window this thread reads now


# --- NewestChildSnapshotFilter ---------------------------------------------------------------------------------


def card_filter():
    return NewestChildSnapshotFilter(parameters={"event_object": "card", "parent_field": "customer"}, config={})


def kept(record_filter, records, stream_slice=WINDOW_A):
    return [
        (r["id"], r["updated"])
        for r in record_filter.filter_records(records, stream_state={}, stream_slice=stream_slice)
    ]


def test_only_objects_of_the_streams_kind_are_kept():
    records = [
        {"id": "ba_1", "object": "bank_account", "customer": "cus_1", "updated": 3},
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 2},
        {"id": "src_1", "object": "source", "customer": "cus_1", "updated": 1},
    ]
    assert kept(card_filter(), records) == [("card_1", 2)]


def test_an_object_of_no_parent_is_dropped_unless_it_was_removed():
    record_filter = NewestChildSnapshotFilter(
        parameters={"event_object": "payment_method", "parent_field": "customer"}, config={}
    )
    records = [
        {"id": "pm_1", "object": "payment_method", "customer": None, "is_deleted": False, "updated": 3},
        {"id": "pm_2", "object": "payment_method", "customer": None, "is_deleted": True, "updated": 2},
        {"id": "pm_3", "object": "payment_method", "customer": "cus_1", "is_deleted": False, "updated": 1},
    ]
    assert kept(record_filter, records) == [("pm_2", 2), ("pm_3", 1)]


def test_only_the_newest_snapshot_of_a_child_is_kept_per_window():
    record_filter = card_filter()
    newest_first = [
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 9},
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 8},
    ]
    assert kept(record_filter, newest_first) == [("card_1", 9)]
    assert kept(record_filter, [{"id": "card_1", "object": "card", "customer": "cus_1", "updated": 7}]) == []
    assert kept(record_filter, newest_first, WINDOW_B) == [("card_1", 9)]


@pytest.mark.parametrize("parameters", [{}, {"event_object": "card"}, {"parent_field": "customer"}])
def test_the_child_filter_needs_the_object_kind_and_the_parent_field(parameters):
    with pytest.raises(ValueError, match="event_object"):
        NewestChildSnapshotFilter(parameters=parameters, config={})
