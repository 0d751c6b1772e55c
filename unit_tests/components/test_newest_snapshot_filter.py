import threading

from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.filters import NewestSnapshotFilter

WINDOW_A = StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "2"})
WINDOW_B = StreamSlice(partition={}, cursor_slice={"start_time": "2", "end_time": "3"})


def keep(record_filter, records, stream_slice=WINDOW_A):
    return [r["updated"] for r in record_filter.filter_records(records, stream_state={}, stream_slice=stream_slice)]


def test_only_the_first_newest_snapshot_of_an_object_is_kept_across_pages():
    record_filter = NewestSnapshotFilter(parameters={}, config={})
    assert keep(record_filter, [{"id": "a", "updated": 9}, {"id": "b", "updated": 8}, {"id": "a", "updated": 7}]) == [9, 8]
    assert keep(record_filter, [{"id": "b", "updated": 6}, {"id": "c", "updated": 5}]) == [5]


def test_windows_are_deduplicated_separately():
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
