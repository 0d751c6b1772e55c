"""Requests in flight: one gate every HTTP request of the process passes through, its limit adapted to Stripe.

Stripe limits an account in two ways (https://docs.stripe.com/rate-limits): a rate (100 requests/s live, 25/s in
test mode, 25/s per endpoint by default) and a concurrency limiter whose level it does not publish. Both answer
429, and say which limit it was in `Stripe-Rate-Limited-Reason`: `global-rate`, `endpoint-rate`,
`global-concurrency`, `endpoint-concurrency` or `resource-specific` (a 429 without it is a lock, not a limit).
Other integrations on the account share both limits, so no fixed number of workers is right: at Stripe's latency
(a page of 100 objects takes ~0.5 s) 10 in flight use a fifth of the live rate, while 50 may trip the concurrency
limiter of an account that is busy elsewhere.

So every request the connector sends (the CDK's workers, the density windows' probes, the child listings, the
events re-reads) goes through `RequestGate`, installed once per process on `requests.adapters.HTTPAdapter.send`
(`install_request_gate`, from source_stripe/run.py). The gate holds:

- a limit on requests in flight, from `ConcurrencyController`: with `num_workers` absent or `auto`, it starts at
  `AUTO_INITIAL`, doubles every round trip while requests wait for it (slow start), then grows by one per round
  trip (additive increase); a 429 `*-concurrency` cuts it (multiplicative decrease) below the level Stripe
  refused, and the limit then stays at the last level Stripe accepted for a few round trips, more each time
  Stripe refuses the next level again, before trying it. Latency that grows with the limit while throughput does
  not (requests queueing at Stripe) takes it back to the lower limit that gave the same throughput. It never
  exceeds `AUTO_CEILING`. A number in `num_workers` is a hard cap: the limit starts there and only goes below it
  while Stripe's concurrency limiter pushes back.
- pacing after a 429 `global-rate` (`endpoint-rate`: that endpoint only): requests are spaced at three quarters
  of the rate that was refused, and the rate regains 2 % of the budget (manifest.yaml's `api_budget`, which stays
  the ceiling) each second; a `Retry-After`, when Stripe sends one, holds every request until then.
- the counts the log shows every `REPORT_SECONDS` on long syncs: the limit, the request rate, 429s by reason.

A GET refused by the concurrency limiter is sent again by the gate as soon as the lowered limit lets it
(`CONCURRENCY_RETRIES`), not left to the CDK's retries: those wait seconds, and make manifest.yaml's `api_budget`
hold every request for a second on any 429. Other 429s go to the CDK's retries as before (`Retry-After` first, then
source_stripe/outage.py's backoff).

The gate counts a request from before it is sent until its response headers arrive, which contains the time
Stripe spends on it: Stripe never sees more requests of ours in flight than the gate lets through.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Deque, Dict, Mapping, Optional
from urllib.parse import urlsplit

import requests

logger = logging.getLogger("airbyte")

# `num_workers` bounds: a number is a hard cap, 1 to 50; auto adapts between 1 and AUTO_CEILING.
MAX_NUM_WORKERS = 50
AUTO_CEILING = 64
AUTO_INITIAL = 8
# Threads of one partition's own pool (child listings, event re-reads) in auto mode: many partitions run at once,
# and each pool only queues at the gate beyond what the gate lets through.
AUTO_INNER_POOL = 16

# A GET Stripe's concurrency limiter refused is sent again by the gate, once a slot under the lowered limit is
# free, up to this many times, before its 429 goes to the CDK's retries (which would wait seconds, and make the API
# budget wait a whole window): the refused request was not processed, and waiting for a slot is what it needs.
CONCURRENCY_RETRIES = 3
RETRIED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

REASON_HEADER = "Stripe-Rate-Limited-Reason"
RETRY_AFTER = "Retry-After"
NO_REASON = "no reason given"  # a 429 without the header: a lock timeout, retried like any 429

# The controller.
DECREASE = 0.8  # a concurrency 429: the limit becomes this share of the last level Stripe accepted
# Latency grown without throughput: KNEE_STREAK rounds in a row each with at least KNEE_GROWTH times the limit and
# KNEE_LATENCY times the latency of one of the last KNEE_ROUNDS rounds, and less than THROUGHPUT_GAIN times its
# throughput (bytes per second: a round of bigger pages is slower and no worse), go back to that round's limit.
KNEE_GROWTH = 1.2
KNEE_LATENCY = 1.5
THROUGHPUT_GAIN = 1.05
KNEE_ROUNDS = 8
KNEE_STREAK = 2
INITIAL_HOLD_ROUNDS = 3  # rounds at the last accepted level before trying the next one
MAX_HOLD_ROUNDS = 32

# Pacing after a rate 429.
RATE_DECREASE = 0.75
RATE_RECOVERY_PER_SECOND = 0.02  # share of the budget the paced rate regains each second without a rate 429
MIN_RATE = 1.0
# Stripe counts its rate per second: a request sent within this long of a cut may still find the limit spent.
RATE_SETTLE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 60.0  # the longest Retry-After honoured for every request

REPORT_SECONDS = 10.0


# --------------------------------------------------------------------------------------------------------------------
# The setting
# --------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConcurrencySetting:
    """`num_workers` read: `cap` requests in flight at most; `adaptive` when it was absent or `auto`."""

    cap: int
    adaptive: bool

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> "ConcurrencySetting":
        value = config.get("num_workers")
        if isinstance(value, bool) or not isinstance(value, int):  # absent or "auto" (or a value the check refused)
            return cls(cap=AUTO_CEILING, adaptive=True)
        return cls(cap=max(1, min(MAX_NUM_WORKERS, value)), adaptive=False)

    @property
    def initial(self) -> int:
        return min(AUTO_INITIAL, self.cap) if self.adaptive else self.cap

    @property
    def inner_pool(self) -> int:
        """Threads of a partition's own pool: the cap, or `AUTO_INNER_POOL` in auto mode."""
        return min(AUTO_INNER_POOL, self.cap) if self.adaptive else self.cap

    def describe(self) -> str:
        return f"auto, at most {self.cap}" if self.adaptive else f"num_workers {self.cap}"


def pool_size(config: Mapping[str, Any]) -> int:
    """Threads of the CDK's pool (manifest.yaml's concurrency_level says the same): `num_workers`, or
    `AUTO_CEILING` so that in auto mode the gate, not the pool, is the limit."""
    return ConcurrencySetting.of(config).cap


def inner_pool_size(config: Mapping[str, Any]) -> int:
    """Threads of one partition's own pool (child listings, event re-reads): `num_workers`, or `AUTO_INNER_POOL`."""
    return ConcurrencySetting.of(config).inner_pool


def rate_budget(config: Mapping[str, Any]) -> float:
    """Requests per second the connector may send: `call_rate_limit`, else Stripe's limit for the key's mode."""
    from source_stripe.permissions import probe_rate

    return probe_rate(config)


# --------------------------------------------------------------------------------------------------------------------
# The limit
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class Round:
    """The completions of about one round trip: as many as the limit allowed in flight when it began."""

    start: float
    size: int
    count: int = 0
    latency: float = 0.0
    volume: float = 0.0
    saturated: bool = False

    def add(self, latency: float, saturated: bool, volume: float) -> None:
        self.count += 1
        self.latency += latency
        self.volume += volume
        self.saturated = self.saturated or saturated

    @property
    def done(self) -> bool:
        return self.count >= self.size


class ConcurrencyController:
    """The number of requests the gate lets be in flight. Not thread-safe: the gate calls it under its lock, with
    the time (`now`, seconds) of each event, so that tests drive it with a fake clock.

    - `completed(latency, saturated, now, volume)`: a request was answered (anything but a concurrency 429) with
      `volume` bytes. `saturated`: when it was sent or answered, the limit was reached (requests were waiting).
      Only saturated requests raise the limit: a limit nobody uses says nothing about Stripe.
    - `rejected(level, sent_at, now)`: Stripe's concurrency limiter refused a request sent when `level` requests of
      ours were in flight (it included). Rejections of requests sent before the last cut are the same news.

    A round is about one round trip: as many completions as the limit when it began. Rounds are where the plateau
    is held and the knee is looked for (`RoundResult.past_the_knee_of`).
    """

    def __init__(self, setting: ConcurrencySetting, now: float = 0.0) -> None:
        self.setting = setting
        self.ceiling = setting.cap
        self._limit = float(setting.initial)
        self._slow_start = setting.adaptive and self._limit < self.ceiling
        self._plateau: Optional[int] = None  # the last level Stripe accepted, held for `_hold` rounds
        self._last_plateau: Optional[int] = None
        self._hold = INITIAL_HOLD_ROUNDS
        self._rounds_on_plateau = 0
        self._last_cut = -math.inf
        self._round = Round(start=now, size=self.limit)
        self._history: Deque[RoundResult] = deque(maxlen=KNEE_ROUNDS)  # recent saturated rounds, none past a knee
        self._knee_streak = 0

    @property
    def limit(self) -> int:
        return max(1, int(self._limit))

    @property
    def slow_start(self) -> bool:
        return self._slow_start

    @property
    def plateau(self) -> Optional[int]:
        return self._plateau

    def completed(self, latency: float, saturated: bool, now: float, volume: float = 1.0) -> None:
        self._round.add(latency, saturated, volume)
        if saturated:
            self._grow()
        if self._round.done:
            self._end_round(now)

    def rejected(self, level: int, sent_at: float, now: float) -> None:
        if sent_at < self._last_cut:
            return
        plateau = max(1, level - 1)
        self._hold = min(2 * self._hold, MAX_HOLD_ROUNDS) if plateau == self._last_plateau else INITIAL_HOLD_ROUNDS
        self._plateau = self._last_plateau = plateau
        self._rounds_on_plateau = 0
        self._cut(min(self._limit, plateau) * DECREASE, now)

    def _cut(self, limit: float, now: float) -> None:
        self._limit = max(1.0, limit)
        self._slow_start = False
        self._last_cut = now
        self._history.clear()
        self._knee_streak = 0
        self._round = Round(start=now, size=self.limit)

    def _grow(self) -> None:
        ceiling = float(self.ceiling if self._plateau is None else min(self.ceiling, self._plateau))
        if self._limit >= ceiling:
            return
        step = 1.0 if self._slow_start else 1.0 / self._limit
        self._limit = min(ceiling, self._limit + step)
        if self._limit >= self.ceiling:
            self._slow_start = False

    def _end_round(self, now: float) -> None:
        finished = self._round
        self._round = Round(start=now, size=self.limit)
        if not finished.saturated:
            return
        if self._plateau is not None and self._limit >= self._plateau:
            self._rounds_on_plateau += 1
            if self._rounds_on_plateau >= self._hold:
                self._plateau = None  # try the next level
        result = RoundResult(
            size=finished.size,
            latency=finished.latency / finished.count,
            rate=finished.volume / max(now - finished.start, 1e-6),
        )
        knee = next((earlier for earlier in self._history if result.past_the_knee_of(earlier)), None)
        if knee is None or not self.setting.adaptive:
            self._knee_streak = 0
            self._history.append(result)
            return
        self._knee_streak += 1
        if self._knee_streak >= KNEE_STREAK:
            self._cut(knee.size, now)


@dataclass(frozen=True)
class RoundResult:
    """A finished saturated round: its limit, mean latency and throughput (bytes/s)."""

    size: int
    latency: float
    rate: float

    def past_the_knee_of(self, earlier: "RoundResult") -> bool:
        """More in flight and longer latency than `earlier`, for no more throughput: the requests added only queue."""
        return (
            self.size >= KNEE_GROWTH * earlier.size
            and self.latency >= KNEE_LATENCY * earlier.latency
            and self.rate < THROUGHPUT_GAIN * earlier.rate
        )


# --------------------------------------------------------------------------------------------------------------------
# The rate
# --------------------------------------------------------------------------------------------------------------------
class SendRate:
    """Requests sent over the last second."""

    def __init__(self) -> None:
        self._times: Deque[float] = deque()

    def add(self, now: float) -> None:
        self._times.append(now)
        self._trim(now)

    def per_second(self, now: float) -> float:
        self._trim(now)
        return float(len(self._times))

    def _trim(self, now: float) -> None:
        while self._times and self._times[0] <= now - 1.0:
            self._times.popleft()


class RatePacer:
    """Spaces requests once Stripe answered 429 for their rate: at `RATE_DECREASE` of the rate refused, regaining
    `RATE_RECOVERY_PER_SECOND` of `ceiling` each second; pacing stops once the rate is back at `ceiling`."""

    def __init__(self, ceiling: float) -> None:
        self.ceiling = ceiling
        self.rate: Optional[float] = None  # None: not pacing
        self._next = -math.inf
        self._recovered_at = 0.0
        self._last_cut = -math.inf

    def slowed(self, observed: float, sent_at: float, now: float) -> None:
        """Stripe refused a request sent at `sent_at` for its rate; `observed`: requests sent over the last second.
        Refusals of requests sent before the last cut had settled are the same news."""
        if sent_at < self._last_cut + RATE_SETTLE_SECONDS:
            return
        current = min(rate for rate in (self.rate, observed or None, self.ceiling) if rate)
        self.rate = max(MIN_RATE, current * RATE_DECREASE)
        self._recovered_at = self._last_cut = now

    def delay(self, now: float) -> float:
        """Seconds until a request may be sent, its turn taken."""
        if self.rate is None:
            return 0.0
        self.rate += self.ceiling * RATE_RECOVERY_PER_SECOND * max(0.0, now - self._recovered_at)
        self._recovered_at = now
        if self.rate >= self.ceiling:
            self.rate = None
            return 0.0
        slot = max(now, self._next)
        self._next = slot + 1.0 / self.rate
        return slot - now


# An object id (`cus_NffrFeUfNV2Hib`, `cs_test_a1B2`): a lowercase prefix, then a digit or a capital somewhere.
def _content_length(response: requests.Response) -> float:
    """The response's size in bytes, from its headers (the body is not read yet); 1 when it does not say."""
    try:
        return float(response.headers.get("Content-Length") or 1)
    except ValueError:
        return 1.0


def refused_for_concurrency(response: requests.Response) -> bool:
    return response.status_code == 429 and (response.headers.get(REASON_HEADER) or "").endswith("-concurrency")


ID_SEGMENT = re.compile(r"^[a-z]+_[A-Za-z0-9_]*[0-9A-Z][A-Za-z0-9_]*$")


def endpoint_of(request: Any) -> str:
    """`GET /v1/customers/{id}/tax_ids`: Stripe counts each named operation as one endpoint, whatever object id it
    is asked for."""
    path = urlsplit(str(getattr(request, "url", "") or "")).path
    segments = ["{id}" if ID_SEGMENT.match(segment) else segment for segment in path.split("/")]
    return f"{getattr(request, 'method', 'GET')} {'/'.join(segments)}"


def retry_after_seconds(value: Optional[str], wall_now: Callable[[], float] = time.time) -> Optional[float]:
    """`Retry-After` in seconds (a number or an HTTP date), at most `MAX_PAUSE_SECONDS`; None when absent or bad."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - wall_now()
        except (TypeError, ValueError):
            return None
    return min(MAX_PAUSE_SECONDS, max(0.0, seconds))


# --------------------------------------------------------------------------------------------------------------------
# The gate
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class GateStats:
    """What the log reports: requests sent, the most in flight at once, 429s by `Stripe-Rate-Limited-Reason`."""

    requests: int = 0
    peak_in_flight: int = 0
    rejections: Counter = field(default_factory=Counter)


@dataclass(frozen=True)
class Ticket:
    """A request let through: how many were in flight with it, whether the limit was reached, when it left."""

    level: int
    saturated: bool
    sent_at: float
    endpoint: str


class RequestGate:
    """Lets requests through at most `limit` at a time and at the paced rate; learns from each response.

    `send(request, send)` calls `send()` (the adapter's own send) when the request's turn comes, and again when
    Stripe's concurrency limiter refused a GET (`CONCURRENCY_RETRIES`). Thread-safe; a request sent while another
    is being sent by the same thread (none is, today) passes straight through.
    """

    def __init__(
        self,
        controller: ConcurrencyController,
        budget: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        report: Optional[Callable[[str], None]] = None,
    ) -> None:
        self.controller = controller
        self.budget = budget
        self.stats = GateStats()
        self._clock, self._sleep = clock, sleep
        self._report = report if report is not None else logger.info
        self._cond = threading.Condition()
        self._in_flight = 0
        self._waiting = 0
        self._paused_until = -math.inf
        self._pacer = RatePacer(budget)
        self._endpoint_pacers: Dict[str, RatePacer] = {}
        self._sent = SendRate()
        self._sent_by_endpoint: Dict[str, SendRate] = {}
        self._local = threading.local()
        self._started = clock()
        self._reported_at = self._started
        self._reported_requests = 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def waiting(self) -> int:
        """Requests waiting for the limit."""
        return self._waiting

    def send(self, request: Any, send: Callable[[], requests.Response]) -> requests.Response:
        if getattr(self._local, "sending", False):
            return send()
        endpoint = endpoint_of(request)
        retries = CONCURRENCY_RETRIES if str(getattr(request, "method", "")).upper() in RETRIED_METHODS else 0
        while True:
            response = self._send_once(endpoint, send)
            if retries <= 0 or not refused_for_concurrency(response):
                return response
            retries -= 1
            _ = response.content  # read, so that the connection goes back to the pool
            response.close()

    def _send_once(self, endpoint: str, send: Callable[[], requests.Response]) -> requests.Response:
        self._wait_turn(endpoint)
        ticket = self._enter(endpoint)
        self._local.sending = True
        response: Optional[requests.Response] = None
        try:
            response = send()
            return response
        finally:
            self._local.sending = False
            self._leave(ticket, response)

    # --- before -----------------------------------------------------------------------------------------------
    def _wait_turn(self, endpoint: str) -> None:
        """Waits out a `Retry-After` pause, then takes the request's turn at the paced rates."""
        while True:
            with self._cond:
                now = self._clock()
                pause = self._paused_until - now
                if pause <= 0:
                    pacer = self._endpoint_pacers.get(endpoint)
                    delay = max(self._pacer.delay(now), pacer.delay(now) if pacer is not None else 0.0)
            if pause > 0:
                self._sleep(pause)
                continue
            if delay > 0:
                self._sleep(delay)
            return

    def _enter(self, endpoint: str) -> Ticket:
        with self._cond:
            while self._in_flight >= self.controller.limit:
                self._waiting += 1
                try:
                    self._cond.wait()
                finally:
                    self._waiting -= 1
            self._in_flight += 1
            now = self._clock()
            self._sent.add(now)
            self._sent_by_endpoint.setdefault(endpoint, SendRate()).add(now)
            self.stats.requests += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self._in_flight)
            saturated = self._in_flight >= self.controller.limit or self._waiting > 0
            return Ticket(level=self._in_flight, saturated=saturated, sent_at=now, endpoint=endpoint)

    # --- after ------------------------------------------------------------------------------------------------
    def _leave(self, ticket: Ticket, response: Optional[requests.Response]) -> None:
        with self._cond:
            self._in_flight -= 1
            now = self._clock()
            before = self.controller.limit
            if response is not None:
                self._learn(ticket, response, now)
            self._cond.notify(max(1, self.controller.limit - before + 1))
            line = self._report_line(now)
        if line:
            self._report(line)

    def _learn(self, ticket: Ticket, response: requests.Response, now: float) -> None:
        if response.status_code != 429:
            volume = _content_length(response)
            # The limit bound this request when it was sent, or binds now that it is answered (requests wait): a
            # first burst (the density probes) then grows the limit too, not only the requests sent after it.
            saturated = ticket.saturated or self._waiting > 0
            self.controller.completed(now - ticket.sent_at, saturated, now, volume)
            return
        reason = response.headers.get(REASON_HEADER) or NO_REASON
        self.stats.rejections[reason] += 1
        if reason.endswith("-concurrency"):
            self.controller.rejected(ticket.level, ticket.sent_at, now)
        elif reason == "endpoint-rate":
            pacer = self._endpoint_pacers.setdefault(ticket.endpoint, RatePacer(self.budget))
            pacer.slowed(self._sent_by_endpoint[ticket.endpoint].per_second(now), ticket.sent_at, now)
        elif reason.endswith("-rate"):
            self._pacer.slowed(self._sent.per_second(now), ticket.sent_at, now)
        pause = retry_after_seconds(response.headers.get(RETRY_AFTER))
        if pause:
            self._paused_until = max(self._paused_until, now + pause)

    def _report_line(self, now: float) -> Optional[str]:
        """Every `REPORT_SECONDS`, once the gate has run that long: the limit, the rate, the 429s."""
        if now - self._reported_at < REPORT_SECONDS:
            return None
        rate = (self.stats.requests - self._reported_requests) / (now - self._reported_at)
        self._reported_at, self._reported_requests = now, self.stats.requests
        return report_line(self.controller, self._in_flight, rate, self.stats, self._pacer.rate)


def report_line(
    controller: ConcurrencyController, in_flight: int, rate: float, stats: GateStats, paced: Optional[float]
) -> str:
    rejections = ", ".join(f"{count} {reason}" for reason, count in sorted(stats.rejections.items())) or "none"
    pacing = f"; paced at {paced:.0f} requests/s after Stripe's rate limit" if paced is not None else ""
    return (
        f"Concurrency: up to {controller.limit} requests in flight ({controller.setting.describe()}), {in_flight} now, "
        f"{stats.peak_in_flight} at most so far; {rate:.1f} requests/s over the last {REPORT_SECONDS:g} s{pacing}; "
        f"429s so far: {rejections}."
    )


# --------------------------------------------------------------------------------------------------------------------
# Installing it
# --------------------------------------------------------------------------------------------------------------------
_GATED = "_source_stripe_ungated_send"
_gate: Optional[RequestGate] = None


def install_request_gate(config: Mapping[str, Any]) -> RequestGate:
    """Puts every request this process sends through one gate set from `config`: `num_workers` and the rate budget.
    Idempotent: a later call replaces the gate (continuous mode's polls keep the one run() installed)."""
    global _gate
    setting = ConcurrencySetting.of(config)
    _gate = RequestGate(ConcurrencyController(setting, now=time.monotonic()), budget=rate_budget(config))
    adapter = requests.adapters.HTTPAdapter
    if not hasattr(adapter.send, _GATED):
        ungated = adapter.send

        def send(self: Any, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
            gate = _gate
            if gate is None:
                return ungated(self, request, *args, **kwargs)
            return gate.send(request, lambda: ungated(self, request, *args, **kwargs))

        setattr(send, _GATED, ungated)
        adapter.send = send  # type: ignore[method-assign]
    return _gate


def uninstall_request_gate() -> None:
    global _gate
    _gate = None
    adapter = requests.adapters.HTTPAdapter
    ungated = getattr(adapter.send, _GATED, None)
    if ungated is not None:
        adapter.send = ungated  # type: ignore[method-assign]


def installed_gate() -> Optional[RequestGate]:
    return _gate
