"""The window planner: how a `created` range is cut into windows, and that the windows lose and repeat nothing."""

from __future__ import annotations

import random
import threading
import time
from typing import Dict, List, Optional, Tuple

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_stripe import FakeStripeList
from helpers import response
from source_stripe.components.response_body import json_body
from source_stripe.components.window_planner import ProbePage, Window, WindowPlanner
from source_stripe.components.windows import first_page_response, probe_page

DAY = 86400
HI = 1_800_000_000
LO = HI - 80 * DAY


def list_window(api: FakeStripeList, window: Window, starting_after: Optional[str] = None) -> Dict:
    """One page of the window, as the retriever asks for it."""
    query = {"created[gte]": window.start, "created[lte]": window.end, "limit": 100}
    if starting_after is not None:
        query["starting_after"] = starting_after
    return api.list_page(query)


def probe(api: FakeStripeList):
    """The planner's probe: the first page of [lo, point]."""

    def probe_of(lo: int, point: int) -> ProbePage:
        return probe_page(point, response(body=api.list_page({"created[gte]": lo, "created[lte]": point, "limit": 100})))

    return probe_of


def planner(api: FakeStripeList, **options) -> WindowPlanner:
    return WindowPlanner(probe=probe(api), **options)


def read_window(api: FakeStripeList, window: Window) -> List[str]:
    """Every id of the window, paginated like the retriever, the first page from the probe when it has one."""
    first = first_page_response(window.first_page, window.start) if window.first_page else None
    body = json_body(first) if first is not None else list_window(api, window)
    ids: List[str] = []
    while True:
        ids += [o["id"] for o in body["data"]]
        if not body["has_more"] or not body["data"]:
            return ids
        body = list_window(api, window, starting_after=body["data"][-1]["id"])


def read_all(api: FakeStripeList, windows: List[Window]) -> List[str]:
    return [object_id for window in windows for object_id in read_window(api, window)]


def assert_tiles(windows: List[Window], lo: int, hi: int) -> None:
    assert windows[0].start == lo and windows[-1].end == hi
    for window in windows:
        assert window.start <= window.end
    for before, after in zip(windows, windows[1:]):
        assert after.start == before.end + 1


def uniform(count: int, seed: int = 1) -> List[int]:
    rng = random.Random(seed)
    return [rng.randint(LO, HI) for _ in range(count)]


def test_a_range_whose_first_page_holds_everything_is_one_window_read_with_one_request():
    api = FakeStripeList(uniform(90))
    windows = planner(api).plan(LO, HI)
    assert [(w.start, w.end) for w in windows] == [(LO, HI)]
    assert sorted(read_all(api, windows)) == sorted(api.ids_between(LO, HI))
    assert api.requests == 1  # the probe is the window's first page


def test_an_empty_range_is_one_window_and_one_request():
    api = FakeStripeList([])
    assert len(planner(api).plan(LO, HI)) == 1
    assert api.requests == 1


def test_two_pages_of_history_stay_one_window_without_extra_probes():
    api = FakeStripeList(uniform(150))
    windows = planner(api).plan(LO, HI)
    assert len(windows) == 1
    read_all(api, windows)
    assert api.requests == 2


def test_a_big_uniform_history_is_cut_into_windows_of_a_few_pages_at_least_four_per_worker():
    api = FakeStripeList(uniform(20_000))
    windows = planner(api, window_pages=5, workers=10).plan(LO, HI)
    sizes = [len(api.ids_between(w.start, w.end)) for w in windows]
    assert len(windows) >= 4 * 10
    assert max(sizes) <= 3 * 500
    ids = read_all(api, windows)
    assert len(ids) == len(set(ids)) == 20_000
    assert api.requests <= 1.2 * 20_000 / 100  # probes are first pages: only partial last pages cost extra


def test_busy_month_is_split_into_windows_of_a_few_pages():
    rng = random.Random(3)
    month_start = LO + 30 * DAY
    createds = uniform(2_000) + [rng.randint(month_start, month_start + 30 * DAY) for _ in range(30_000)]
    api = FakeStripeList(createds)
    windows = planner(api, window_pages=5, workers=10).plan(LO, HI)
    busy = [w for w in windows if w.start < month_start + 30 * DAY and w.end >= month_start]
    assert len(busy) >= 30
    assert max(len(api.ids_between(w.start, w.end)) for w in windows) <= 4 * 500
    assert sorted(read_all(api, windows)) == sorted(api.ids_between(LO, HI))


def test_a_mid_sized_history_is_spread_over_the_workers_with_windows_of_at_least_two_pages():
    api = FakeStripeList(uniform(2_000))
    windows = planner(api, window_pages=5, workers=10).plan(LO, HI)
    assert 8 <= len(windows) <= 12  # 20 pages: 2-page windows, not 4 windows of 5 pages


def test_objects_all_in_one_second_cannot_be_split_and_are_read_as_one_window():
    api = FakeStripeList([LO + 5] * 1_000)
    windows = planner(api).plan(LO + 5, LO + 5)
    assert [(w.start, w.end) for w in windows] == [(LO + 5, LO + 5)]
    assert len(read_all(api, windows)) == 1_000


class SlowProbe:
    """The planner's probe, slow enough for probes sent together to overlap; counts the most in flight at once."""

    def __init__(self, api: FakeStripeList, seconds: float = 0.01) -> None:
        self.api, self.seconds = api, seconds
        self.calls: List[Tuple[int, int]] = []
        self.peak = 0
        self._active = 0
        self._lock = threading.Lock()

    def __call__(self, lo: int, point: int) -> ProbePage:
        with self._lock:
            self._active += 1
            self.peak = max(self.peak, self._active)
            self.calls.append((lo, point))
        time.sleep(self.seconds)
        try:
            return probe(self.api)(lo, point)
        finally:
            with self._lock:
                self._active -= 1


def test_probes_of_one_round_are_sent_in_parallel_but_never_more_than_the_workers():
    slow_probe = SlowProbe(FakeStripeList(uniform(20_000)))
    WindowPlanner(probe=slow_probe, workers=4).plan(LO, HI)
    assert slow_probe.peak == 4


def test_the_tops_of_many_ranges_are_probed_at_once_and_each_plan_reuses_its_top():
    api = FakeStripeList(uniform(50))  # all in the last range: the older ranges are empty
    ranges = [(LO - (k + 1) * 365 * DAY, LO - k * 365 * DAY - 1) for k in range(5, -1, -1)] + [(LO, HI)]
    slow_probe = SlowProbe(api, seconds=0.02)
    windows_planner = WindowPlanner(probe=slow_probe, workers=4)
    tops = windows_planner.probe_tops(ranges)
    assert slow_probe.peak == 4 and sorted(slow_probe.calls) == sorted(ranges)
    windows = [window for (lo, hi), top in zip(ranges, tops) for window in windows_planner.plan(lo, hi, top)]
    assert len(slow_probe.calls) == len(ranges)  # every range fits one page: no probe beyond the tops
    assert [(w.start, w.end) for w in windows] == ranges
    assert sorted(read_all(api, windows)) == sorted(o["id"] for o in api.objects)


@settings(max_examples=60, deadline=None)
@given(
    data=st.lists(st.integers(min_value=0, max_value=40 * DAY), max_size=1_500),
    burst=st.lists(st.integers(min_value=0, max_value=3_600), max_size=1_500),
    burst_at=st.integers(min_value=0, max_value=40 * DAY),
    span=st.integers(min_value=0, max_value=40 * DAY),
    window_pages=st.integers(min_value=1, max_value=6),
    workers=st.integers(min_value=1, max_value=12),
)
def test_windows_tile_the_range_exactly_and_reading_them_returns_every_object_once(
    data, burst, burst_at, span, window_pages, workers
):
    lo, hi = LO, LO + span
    createds = [LO + x for x in data] + [LO + min(40 * DAY, burst_at + x) for x in burst]
    api = FakeStripeList(createds)
    windows = planner(api, window_pages=window_pages, workers=workers).plan(lo, hi)
    assert_tiles(windows, lo, hi)
    ids = read_all(api, windows)
    assert len(ids) == len(set(ids))
    assert set(ids) == set(api.ids_between(lo, hi))
