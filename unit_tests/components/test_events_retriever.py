"""events_retriever.py: `work_items` (a window's outcomes as the units sent to the re-read workers). The retriever
itself is read through the CDK in unit_tests/source/test_event_rereads.py and test_object_streams.py."""

from source_stripe.components.events_retriever import work_items
from source_stripe.components.rereads import Relist, Retrieve, Snapshot

A, B, C = (Snapshot({"id": name}) for name in "abc")
RELIST = Relist(field="invoice", value="in_1", at=1)
RETRIEVE = Retrieve(path="customers/cus_1", at=1)


def test_consecutive_snapshots_are_one_work_item_and_each_re_read_is_one_in_the_outcomes_order():
    assert list(work_items([A, B, RELIST, RETRIEVE, C])) == [[A, B], RELIST, RETRIEVE, [C]]


def test_a_window_without_re_reads_is_one_work_item_per_run_of_snapshots_and_an_empty_one_none():
    assert list(work_items(iter([A, B, C]))) == [[A, B, C]]
    assert list(work_items([A, B, C], run_size=2)) == [[A, B], [C]]
    assert list(work_items([])) == []
