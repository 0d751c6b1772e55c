"""Planning density windows: where to cut a `created` range so that each window holds about the same number of
objects. Pure: no HTTP, the probe (`probe(lo, point)`: the first page of `[lo, point]`) is injected.

How the windows are read, and why, is source_stripe/components/windows.py's docstring.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Tuple


@dataclass(frozen=True)
class ProbePage:
    """The first page of the window `[lo, point]`: `createds` newest first, and whether Stripe has more."""

    point: int
    createds: Tuple[int, ...]
    has_more: bool
    response: Any = field(default=None, compare=False, repr=False)

    @property
    def floor(self) -> Optional[int]:
        """The oldest `created` on the page."""
        return self.createds[-1] if self.createds else None

    def covers_from(self, start: int) -> bool:
        """True when every object created in `[start, point]` is on this page (ties at the floor may continue on the
        next page, so the floor must be strictly below `start`)."""
        return not self.has_more or (self.floor is not None and self.floor < start)

    def count_from(self, start: int) -> int:
        return sum(1 for created in self.createds if created >= start)

    @property
    def rate(self) -> float:
        """Objects per second just below `point` (over the span the page covers)."""
        if not self.createds:
            return 0.0
        return len(self.createds) / (self.point - self.createds[-1] + 1)


@dataclass(frozen=True)
class Window:
    """`created[gte]=start`, `created[lte]=end` (inclusive, seconds); `first_page` is the probe that ends at `end`."""

    start: int
    end: int
    first_page: Optional[ProbePage] = None


Probe = Callable[[int, int], ProbePage]


@dataclass
class WindowPlanner:
    """Cuts `[lo, hi]` into windows of about `window_pages` pages, from the density the probes reveal.

    - A range whose first page holds everything is one window (one request).
    - Window size: `window_pages` pages, smaller (down to 2 pages) when that gives fewer than 4 windows per worker,
      so a mid-sized stream still spreads over the workers.
    - Probes: the top of the range, then a grid evenly in time of at most `first_grid` points, and of at most
      `max_grid` points over the part with data when the first finds the older half of the range empty (e.g. a
      start_date years before the account's first object), then up to `bisection_rounds` rounds of bisection (at
      most `max_bisections` probes each) in the gaps where the densities at both ends differ more than
      `disagreement` times, or where nothing is known below. Each round is sent in parallel (`workers` at most), and
      so are the tops of many ranges (`probe_tops`).
    - Not detected: a burst hidden in a gap whose both ends are quiet (e.g. one busy day between two grid points,
      more than 100 objects below the upper one). That window is then long to read; nothing is lost or repeated.
    """

    probe: Probe
    page_size: int = 100
    window_pages: int = 5
    workers: int = 10
    first_grid: int = 8
    max_grid: int = 16
    max_bisections: int = 16
    bisection_rounds: int = 2
    disagreement: float = 2.0

    def plan(self, lo: int, hi: int, top: Optional[ProbePage] = None) -> List[Window]:
        """The windows of `[lo, hi]`; `top` is its probe at `hi` when already sent (see `probe_tops`)."""
        top = top or self.probe(lo, hi)
        if hi <= lo or top.covers_from(lo):
            return [Window(lo, hi, top)]
        pages: Dict[int, ProbePage] = {hi: top}
        floor = lo  # nothing was created in [lo, floor)
        # A first grid (at most `first_grid` points: the estimate from the top page alone assumes the whole range is
        # as dense as its top, wrong when start_date predates the data), then a second one over the part with data
        # when the first found the range's start empty.
        for most in (self.first_grid, self.max_grid):
            estimate = sum(estimate for _, _, estimate in self._segments(lo, pages))
            grid = min(most, math.ceil(estimate / self.window_size(estimate)), hi - floor + 1)
            if grid < 2:
                break
            points = {floor - 1 + (hi - floor + 1) * k // grid for k in range(1, grid)} - {floor - 1} - set(pages)
            pages.update(self._probe_all(lo, points))
            empty = max((point for point, page in pages.items() if page.covers_from(lo) and not page.createds), default=None)
            if empty is None or empty < floor or hi - empty > (hi - floor) // 2:
                break
            floor = empty + 1
        for _ in range(self.bisection_rounds):
            points = set(self._bisections(lo, pages)) - set(pages)
            if not points:
                break
            pages.update(self._probe_all(lo, points))
        segments = list(self._segments(lo, pages))
        size = self.window_size(sum(estimate for _, _, estimate in segments))
        windows: List[Window] = []
        for start, page, estimate in segments:
            windows.extend(self._cut(start, page, estimate, size))
        return windows

    def window_size(self, estimate: float) -> float:
        """Objects per window for a range estimated to hold `estimate` objects."""
        most = self.window_pages * self.page_size
        least = min(most, 2 * self.page_size)
        return max(least, min(most, estimate / (4 * self.workers)))

    def probe_tops(self, ranges: List[Tuple[int, int]]) -> List[ProbePage]:
        """The probe at the top of each range (`probe(lo, hi)`), sent in parallel (`workers` at most)."""
        if len(ranges) <= 1:
            return [self.probe(lo, hi) for lo, hi in ranges]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(ranges)), thread_name_prefix="probe") as pool:
            return list(pool.map(lambda bounds: self.probe(*bounds), ranges))

    def _probe_all(self, lo: int, points: Iterable[int]) -> Dict[int, ProbePage]:
        points = sorted(points)
        if len(points) <= 1:
            return {point: self.probe(lo, point) for point in points}
        with ThreadPoolExecutor(max_workers=min(self.workers, len(points)), thread_name_prefix="probe") as pool:
            return dict(zip(points, pool.map(lambda point: self.probe(lo, point), points)))

    def _segments(self, lo: int, pages: Mapping[int, ProbePage]) -> Iterable[Tuple[int, ProbePage, float]]:
        """(start, probe at the segment's end, estimated objects) per gap between probe points, oldest first."""
        below: Optional[ProbePage] = None
        start = lo
        for point in sorted(pages):
            page = pages[point]
            yield start, page, self._estimate(start, page, below)
            below, start = page, point + 1

    def _estimate(self, start: int, page: ProbePage, below: Optional[ProbePage]) -> float:
        if page.covers_from(start):
            return float(page.count_from(start))
        unknown = page.floor - start  # seconds in [start, floor) the page does not reach  # type: ignore[operator]
        rates = [page.rate] + ([below.rate] if below is not None and below.createds else [])
        return len(page.createds) + unknown * sum(rates) / len(rates)

    def _bisections(self, lo: int, pages: Mapping[int, ProbePage]) -> List[int]:
        """Midpoints of the unknown part of the gaps whose estimate is unreliable and big enough to matter."""
        segments = list(self._segments(lo, pages))
        size = self.window_size(sum(estimate for _, _, estimate in segments))
        below: Optional[ProbePage] = None
        wanted: List[Tuple[float, int]] = []
        for start, page, estimate in segments:
            if not page.covers_from(start) and estimate > 2 * size and page.floor - start >= 2:  # type: ignore[operator]
                rates = sorted([page.rate, below.rate]) if below is not None and below.createds else None
                if rates is None or rates[0] * self.disagreement < rates[1]:
                    wanted.append((estimate, start + (page.floor - start) // 2))  # type: ignore[operator]
            below = page
        wanted.sort(reverse=True)
        return [point for _, point in wanted[: self.max_bisections]]

    @staticmethod
    def _cut(start: int, page: ProbePage, estimate: float, size: float) -> List[Window]:
        """Windows of about `size` objects tiling `[start, page.point]`, evenly in time; the last one gets the page."""
        span = page.point - start + 1
        count = max(1, min(span, round(estimate / size)))
        ends = [start - 1 + span * i // count for i in range(1, count + 1)]
        windows = []
        previous = start - 1
        for end in ends:
            windows.append(Window(previous + 1, end, page if end == page.point else None))
            previous = end
        return windows

