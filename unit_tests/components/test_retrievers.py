"""retrievers.py: `bounded_map` (a function over items in a few threads, results in input order, a bounded number in
flight) and ParentIdQuery (a child's parent id as a query parameter)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components import retrievers
from source_stripe.components.retrievers import ParentIdQuery, bounded_map

# --- bounded_map -----------------------------------------------------------------------------------------------


class CountingPool(ThreadPoolExecutor):
    """A ThreadPoolExecutor that counts the tasks submitted to it (class-wide, reset by the fixture)."""

    submitted = 0
    created = 0
    lock = threading.Lock()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with CountingPool.lock:
            CountingPool.created += 1

    def submit(self, *args, **kwargs):
        with CountingPool.lock:
            CountingPool.submitted += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def pool(monkeypatch):
    CountingPool.submitted = CountingPool.created = 0
    monkeypatch.setattr(retrievers, "ThreadPoolExecutor", CountingPool)
    return CountingPool


def test_results_come_in_the_order_of_the_items_even_when_later_items_finish_first():
    def slow_first(n: int) -> int:
        time.sleep(0.002 * (20 - n))
        return n * n

    assert list(bounded_map(slow_first, list(range(20)), workers=4)) == [n * n for n in range(20)]


@pytest.mark.parametrize("workers", [2, 3])
def test_at_most_twice_the_workers_results_are_outstanding(pool, workers):
    outstanding = []
    consumed = 0
    for _result in bounded_map(lambda n: n, list(range(30)), workers=workers):
        outstanding.append(pool.submitted - consumed)  # submitted but not yet taken by the consumer, this one included
        consumed += 1
        time.sleep(0.001)  # a slow consumer: an unbounded map would have submitted everything by now
    assert consumed == pool.submitted == 30
    assert max(outstanding) <= 2 * workers
    assert max(outstanding) == 2 * workers  # it does run ahead of the consumer, up to the bound


def test_nothing_is_submitted_before_the_first_result_is_asked_for(pool):
    results = bounded_map(lambda n: n, [1, 2, 3], workers=2)
    assert pool.submitted == 0
    assert next(results) == 1


def test_with_one_worker_the_function_runs_inline_in_the_callers_thread(pool):
    threads = []

    def record_thread(n: int) -> int:
        threads.append(threading.current_thread())
        return n + 1

    assert list(bounded_map(record_thread, [1, 2, 3], workers=1)) == [2, 3, 4]
    assert threads == [threading.current_thread()] * 3
    assert pool.created == 0


@pytest.mark.parametrize("workers", [0, -1])
def test_no_workers_also_runs_inline(pool, workers):
    assert list(bounded_map(str, [1, 2], workers=workers)) == ["1", "2"]
    assert pool.created == 0


def test_a_single_item_runs_inline_whatever_the_workers(pool):
    threads = []
    assert list(bounded_map(lambda n: threads.append(threading.current_thread()) or n, [7], workers=8)) == [7]
    assert threads == [threading.current_thread()]
    assert pool.created == 0


def test_no_items_give_no_results():
    assert list(bounded_map(str, [], workers=4)) == []


def test_several_workers_run_the_function_at_the_same_time():
    # Two calls meet at a barrier: a map running them one after the other would break it (timeout).
    barrier = threading.Barrier(2, timeout=5)

    def meet(n: int) -> int:
        barrier.wait()
        return n

    assert list(bounded_map(meet, [1, 2], workers=2)) == [1, 2]


def test_an_error_in_the_function_reaches_the_consumer():
    def fail_on_two(n: int) -> int:
        if n == 2:
            raise RuntimeError("boom")
        return n

    results = bounded_map(fail_on_two, [1, 2, 3], workers=2)
    assert next(results) == 1
    with pytest.raises(RuntimeError, match="boom"):
        next(results)


# --- ParentIdQuery ---------------------------------------------------------------------------------------------


def test_the_parent_id_goes_into_the_query_under_the_given_name():
    query = ParentIdQuery(name="payout", parameters={})
    stream_slice = StreamSlice(partition={"parent_id": "po_1"}, cursor_slice={})
    assert query.get_request_params(stream_slice=stream_slice) == {"payout": "po_1"}
    assert query.get_request_headers() == {} and query.get_request_body_json() == {}


def test_without_a_parent_nothing_goes_into_the_query():
    query = ParentIdQuery(name="payout", parameters={})
    assert query.get_request_params(stream_slice=None) == {}
    assert query.get_request_params(stream_slice=StreamSlice(partition={}, cursor_slice={})) == {}
