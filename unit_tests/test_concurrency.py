"""concurrency.py: the gate every request passes through, its limit on requests in flight and its pacing after
Stripe's 429s. The controller and the gate are driven with a fake clock."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import List, Optional

import pytest
import requests
import yaml
from airbyte_cdk.sources.declarative.concurrency_level import ConcurrencyLevel

from source_stripe.config import ConfigError, normalize_config, validate_config
from source_stripe.concurrency import (
    AUTO_CEILING,
    AUTO_INITIAL,
    AUTO_INNER_POOL,
    INITIAL_HOLD_ROUNDS,
    MAX_PAUSE_SECONDS,
    ConcurrencyController,
    ConcurrencySetting,
    RatePacer,
    RequestGate,
    endpoint_of,
    inner_pool_size,
    install_request_gate,
    installed_gate,
    pool_size,
    retry_after_seconds,
    uninstall_request_gate,
)

MANIFEST = Path(__file__).resolve().parents[1] / "manifest.yaml"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: List[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def response(status: int = 200, **headers: str) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.headers.update(headers)
    answer._content = b"{}"
    return answer


def answers(*statuses_and_reasons):
    """A send answering each (status, reason) in turn; `.calls` counts the requests sent."""
    queue = list(statuses_and_reasons)

    def send() -> requests.Response:
        send.calls += 1
        status, reason = queue.pop(0)
        return response(status, **({"Stripe-Rate-Limited-Reason": reason} if reason else {}))

    send.calls = 0
    return send


def request(path: str = "/v1/charges") -> requests.PreparedRequest:
    return requests.Request("GET", "https://api.stripe.com" + path).prepare()


def auto() -> ConcurrencyController:
    return ConcurrencyController(ConcurrencySetting.of({}))


def fixed(workers: int) -> ConcurrencyController:
    return ConcurrencyController(ConcurrencySetting.of({"num_workers": workers}))


class ConcurrencyLimitedStripe:
    """A round-based model of Stripe's concurrency limiter: each round the controller's limit of requests leave at
    once (levels 1 … limit, every one wanted: the limit is saturated); those above `max_in_flight` are refused at
    once, the others answered after `latency`."""

    def __init__(self, controller: ConcurrencyController, max_in_flight: Optional[int], latency: float = 0.5) -> None:
        self.controller, self.max_in_flight, self.latency = controller, max_in_flight, latency
        self.now = 0.0
        self.sent = self.refused = self.answered = 0

    def rounds(self, count: int) -> List[int]:
        limits = []
        for _ in range(count):
            limit = self.controller.limit
            limits.append(limit)
            sent_at = self.now
            accepted = limit if self.max_in_flight is None else min(limit, self.max_in_flight)
            for level in range(accepted + 1, limit + 1):
                self.controller.rejected(level, sent_at, sent_at + 0.01)
            for _ in range(accepted):
                self.controller.completed(self.latency, True, sent_at + self.latency)
            self.now = sent_at + self.latency
            self.sent += limit
            self.refused += limit - accepted
            self.answered += accepted
        return limits


# --- the setting ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "auto"])
def test_absent_or_auto_num_workers_adapts_from_a_few_requests_up_to_the_auto_ceiling(value):
    setting = ConcurrencySetting.of({"num_workers": value} if value else {})
    assert setting.adaptive and setting.cap == AUTO_CEILING and setting.initial == AUTO_INITIAL


def test_a_number_is_a_hard_cap_from_the_first_request():
    setting = ConcurrencySetting.of({"num_workers": 5})
    assert not setting.adaptive and setting.cap == 5 and setting.initial == 5


def test_pools_are_as_large_as_the_cap_and_partition_pools_smaller_in_auto_mode():
    assert (pool_size({}), inner_pool_size({})) == (AUTO_CEILING, AUTO_INNER_POOL)
    assert (pool_size({"num_workers": 3}), inner_pool_size({"num_workers": 3})) == (3, 3)


@pytest.mark.parametrize("config", [{}, {"num_workers": 1}, {"num_workers": 7}, {"num_workers": 50}])
def test_the_manifest_concurrency_level_sizes_the_cdk_pool_like_pool_size(config):
    level = yaml.safe_load(MANIFEST.read_text())["concurrency_level"]
    component = ConcurrencyLevel(
        default_concurrency=level["default_concurrency"], max_concurrency=level["max_concurrency"], config=config, parameters={}
    )
    assert component.get_concurrency_level() == pool_size(config)


# --- the controller -------------------------------------------------------------------------------------------------


def test_slow_start_doubles_the_limit_each_round_trip_while_requests_wait():
    controller = auto()
    assert ConcurrencyLimitedStripe(controller, max_in_flight=None).rounds(4) == [8, 16, 32, 64]


def test_the_limit_does_not_grow_while_it_is_not_reached():
    controller = auto()
    for second in range(100):
        controller.completed(0.5, saturated=False, now=float(second))
    assert controller.limit == AUTO_INITIAL


def test_a_concurrency_429_cuts_the_limit_below_the_level_stripe_refused():
    controller = auto()
    controller.rejected(level=6, sent_at=1.0, now=1.2)
    assert controller.limit == int(5 * 0.8) and not controller.slow_start and controller.plateau == 5


def test_refusals_of_requests_sent_before_the_cut_are_the_same_news():
    controller = auto()
    controller.rejected(level=9, sent_at=1.0, now=1.2)
    limit = controller.limit
    controller.rejected(level=10, sent_at=1.1, now=1.3)
    assert controller.limit == limit


def test_after_a_cut_the_limit_climbs_back_to_the_accepted_level_holds_it_then_tries_the_next():
    controller = auto()
    controller.rejected(level=9, sent_at=0.0, now=0.0)
    stripe = ConcurrencyLimitedStripe(controller, max_in_flight=None)
    stripe.now = 1.0
    limits = stripe.rounds(12)
    first_at_8 = limits.index(8)
    assert max(limits[:first_at_8]) < 8
    assert limits[first_at_8 : first_at_8 + INITIAL_HOLD_ROUNDS] == [8] * INITIAL_HOLD_ROUNDS
    assert max(limits) > 8


def test_a_level_refused_again_is_tried_again_later_each_time():
    controller = auto()
    stripe = ConcurrencyLimitedStripe(controller, max_in_flight=8)
    limits = stripe.rounds(200)
    tries = [index for index, limit in enumerate(limits) if limit > 8]
    gaps = [later - earlier for earlier, later in zip(tries[1:], tries[2:])]
    assert len(gaps) >= 2 and gaps == sorted(gaps) and gaps[-1] > gaps[0]


def test_under_a_concurrency_limit_of_8_few_requests_are_refused_and_most_of_8_in_flight_is_used():
    stripe = ConcurrencyLimitedStripe(auto(), max_in_flight=8)
    rounds = 300
    stripe.rounds(rounds)
    assert stripe.refused / stripe.sent <= 0.05
    assert stripe.answered / rounds >= 0.9 * 8


def test_once_stripe_lifts_its_limit_the_limit_rises_again_to_the_ceiling():
    controller = auto()
    stripe = ConcurrencyLimitedStripe(controller, max_in_flight=8)
    stripe.rounds(100)
    assert controller.limit <= 8
    stripe.max_in_flight = None
    stripe.rounds(200)
    assert controller.limit == AUTO_CEILING


def test_a_number_caps_the_limit_which_only_goes_below_it_while_stripe_refuses():
    controller = fixed(12)
    stripe = ConcurrencyLimitedStripe(controller, max_in_flight=None)
    assert set(stripe.rounds(20)) == {12}
    stripe.max_in_flight = 6
    stripe.rounds(30)
    assert controller.limit <= 6
    stripe.max_in_flight = None
    assert max(stripe.rounds(200)) == 12 and controller.limit == 12


class SlowingStripe:
    """Answers `capacity` requests per second at most: beyond capacity × base latency in flight, latency grows with
    the requests in flight and throughput stays flat."""

    def __init__(self, controller: ConcurrencyController, capacity: float = 100.0, base: float = 0.1) -> None:
        self.controller, self.capacity, self.base = controller, capacity, base
        self.now = 0.0

    def rounds(self, count: int) -> List[int]:
        limits = []
        for _ in range(count):
            limit = self.controller.limit
            limits.append(limit)
            latency = max(self.base, limit / self.capacity)
            for _ in range(limit):
                self.controller.completed(latency, True, self.now + latency)
            self.now += latency
        return limits


def test_latency_that_grows_without_throughput_stops_the_limit_growing():
    limits = SlowingStripe(auto()).rounds(300)
    # the knee is at 10 in flight: beyond it, only latency grows
    assert max(limits[-100:]) <= AUTO_CEILING // 2 and min(limits[-100:]) >= 10


def test_a_number_is_kept_whatever_the_latency():
    assert set(SlowingStripe(fixed(40)).rounds(100)) == {40}


# --- the gate -------------------------------------------------------------------------------------------------------


def gate_of(controller: ConcurrencyController, clock: FakeClock, budget: float = 100.0, reports=None) -> RequestGate:
    return RequestGate(controller, budget=budget, clock=clock, sleep=clock.sleep, report=reports.append if reports is not None else lambda _line: None)


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def test_the_gate_lets_no_more_requests_through_than_the_limit():
    gate = RequestGate(fixed(2), budget=1000.0)
    release = threading.Event()
    sent: List[int] = []

    def send() -> requests.Response:
        sent.append(1)
        release.wait(10)
        return response()

    threads = [threading.Thread(target=gate.send, args=(request(), send)) for _ in range(5)]
    for thread in threads:
        thread.start()
    wait_until(lambda: len(sent) == 2 and gate.waiting == 3)
    release.set()
    for thread in threads:
        thread.join(10)
    assert len(sent) == 5 and gate.stats.peak_in_flight == 2 and gate.in_flight == 0


def test_a_request_answered_while_others_wait_grows_the_limit_though_it_was_sent_below_it():
    """The density probes: a burst of requests at once. The first was sent below the limit, but it is answered while
    others wait: the limit binds, so its answer grows the limit (slow start), as TCP grows its window per
    acknowledgement while the window is what holds data back."""
    controller = auto()
    gate = RequestGate(controller, budget=1000.0)
    releases = [threading.Event() for _ in range(AUTO_INITIAL + 1)]
    sent: List[int] = []

    def sender(number: int):
        def send() -> requests.Response:
            sent.append(number)
            releases[number].wait(10)
            return response()
        return send

    first = threading.Thread(target=gate.send, args=(request(), sender(0)))
    first.start()
    wait_until(lambda: sent == [0])  # sent alone: below the limit
    others = [threading.Thread(target=gate.send, args=(request(), sender(n))) for n in range(1, AUTO_INITIAL + 1)]
    for thread in others:
        thread.start()
    wait_until(lambda: len(sent) == AUTO_INITIAL and gate.waiting == 1)
    releases[0].set()
    first.join(10)
    assert controller.limit == AUTO_INITIAL + 1
    for release in releases:
        release.set()
    for thread in others:
        thread.join(10)


def test_429s_are_counted_by_the_reason_stripe_gives():
    gate = gate_of(auto(), FakeClock())
    gate.send(request(), answers((429, "global-concurrency"), (200, None)))
    gate.send(request(), answers((429, None)))
    gate.send(request(), answers((429, "endpoint-rate")))
    assert gate.stats.rejections == {"global-concurrency": 1, "no reason given": 1, "endpoint-rate": 1}


def test_a_get_refused_for_concurrency_is_sent_again_by_the_gate_under_the_lowered_limit():
    clock = FakeClock()
    gate = gate_of(auto(), clock)
    send = answers((429, "global-concurrency"), (200, None))
    assert gate.send(request(), send).status_code == 200
    assert send.calls == 2 and gate.controller.limit < AUTO_INITIAL and gate.stats.rejections == {"global-concurrency": 1}


def test_a_request_still_refused_after_three_retries_gets_its_429_for_the_cdks_backoff():
    gate = gate_of(auto(), FakeClock())
    send = answers(*[(429, "global-concurrency")] * 4)
    assert gate.send(request(), send).status_code == 429 and send.calls == 4


@pytest.mark.parametrize("reason", ["global-rate", None])
def test_other_429s_go_to_the_cdks_retries_at_once(reason):
    gate = gate_of(auto(), FakeClock())
    send = answers((429, reason), (200, None))
    assert gate.send(request(), send).status_code == 429 and send.calls == 1


def test_a_post_refused_for_concurrency_is_not_sent_again():
    gate = gate_of(auto(), FakeClock())
    send = answers((429, "global-concurrency"), (200, None))
    post = requests.Request("POST", "https://api.stripe.com/v1/charges").prepare()
    assert gate.send(post, send).status_code == 429 and send.calls == 1


def test_a_rate_429_spaces_the_next_requests_at_three_quarters_of_the_rate_refused():
    clock = FakeClock()
    gate = gate_of(auto(), clock)
    for _ in range(39):
        gate.send(request(), response)
    gate.send(request(), lambda: response(429, **{"Stripe-Rate-Limited-Reason": "global-rate"}))
    for _ in range(4):
        gate.send(request(), response)
    # 40 requests sent within the last second: 30 per second from now on, one every 1/30 s
    assert clock.sleeps == pytest.approx([1 / 30] * 3, rel=0.01)


def test_rate_429s_of_requests_sent_within_a_second_of_a_cut_do_not_cut_again():
    pacer = RatePacer(ceiling=100.0)
    pacer.slowed(observed=40, sent_at=10.0, now=10.1)
    pacer.slowed(observed=40, sent_at=10.5, now=10.6)
    assert pacer.rate == 30.0
    pacer.slowed(observed=30, sent_at=11.2, now=11.3)
    assert pacer.rate == 22.5


def test_the_paced_rate_recovers_to_the_budget_and_pacing_stops():
    clock = FakeClock()
    gate = gate_of(auto(), clock)
    gate.send(request(), lambda: response(429, **{"Stripe-Rate-Limited-Reason": "global-rate"}))
    clock.now += 60  # no 429 for a minute
    clock.sleeps.clear()
    for _ in range(10):
        gate.send(request(), response)
    assert clock.sleeps == []


def test_retry_after_holds_every_request_until_then():
    clock = FakeClock()
    gate = gate_of(auto(), clock)
    gate.send(request(), lambda: response(429, **{"Stripe-Rate-Limited-Reason": "global-rate", "Retry-After": "3"}))
    gate.send(request("/v1/customers"), response)
    assert clock.sleeps[0] == 3.0


def test_an_endpoint_rate_429_paces_that_endpoint_only():
    clock = FakeClock()
    gate = gate_of(auto(), clock)
    for _ in range(3):
        gate.send(request("/v1/customers/cus_A1/tax_ids"), response)
    gate.send(request("/v1/customers/cus_B2/tax_ids"), lambda: response(429, **{"Stripe-Rate-Limited-Reason": "endpoint-rate"}))
    for _ in range(3):
        gate.send(request("/v1/charges"), response)
    assert clock.sleeps == []
    for _ in range(3):
        gate.send(request("/v1/customers/cus_C3/tax_ids"), response)
    assert clock.sleeps == pytest.approx([1 / 3] * 2, rel=0.01)


def test_the_gate_reports_its_limit_rate_and_429s_every_10_seconds_once_running_that_long():
    clock = FakeClock()
    reports: List[str] = []
    gate = gate_of(fixed(4), clock, reports=reports)
    for _ in range(50):
        clock.now += 0.1
        gate.send(request(), response)
    gate.send(request(), answers((429, "global-concurrency"), (200, None)))
    assert reports == []
    clock.now += 5.01
    gate.send(request(), response)
    assert len(reports) == 1
    line = reports[0]
    assert "in flight (num_workers 4)" in line and "5.3 requests/s over the last 10 s" in line
    assert "429s so far: 1 global-concurrency" in line
    gate.send(request(), response)
    assert len(reports) == 1


@pytest.mark.parametrize(
    "path, endpoint",
    [
        ("/v1/charges?limit=100", "GET /v1/charges"),
        ("/v1/customers/cus_NffrFeUfNV2Hib/tax_ids", "GET /v1/customers/{id}/tax_ids"),
        ("/v1/checkout/sessions/cs_test_a1B2/line_items", "GET /v1/checkout/sessions/{id}/line_items"),
        ("/v1/balance_transactions", "GET /v1/balance_transactions"),
    ],
)
def test_requests_for_different_objects_count_against_one_endpoint(path, endpoint):
    assert endpoint_of(request(path)) == endpoint


@pytest.mark.parametrize(
    "value, seconds",
    [(None, None), ("2", 2.0), ("0.5", 0.5), ("soon", None), ("3600", MAX_PAUSE_SECONDS),
     ("Wed, 21 Oct 2015 07:28:10 GMT", 10.0)],
)
def test_retry_after_is_read_as_seconds_or_a_date(value, seconds):
    wall = 1445412480.0  # 2015-10-21 07:28:00 UTC
    assert retry_after_seconds(value, wall_now=lambda: wall) == seconds


# --- installing it --------------------------------------------------------------------------------------------------


@pytest.fixture
def ungated_adapter(monkeypatch):
    """HTTPAdapter.send answering 200 without a network; the gate is uninstalled afterwards."""
    sent: List[str] = []

    def send(self, prepared, *args, **kwargs):
        sent.append(prepared.url)
        return response()

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    yield sent
    uninstall_request_gate()


def test_every_request_of_the_process_passes_the_installed_gate(ungated_adapter):
    gate = install_request_gate({"credentials": {"access_token": "sk_test_x"}, "num_workers": 3})
    assert installed_gate() is gate and gate.controller.limit == 3 and gate.budget == 25
    requests.Session().get("http://127.0.0.1:9/v1/charges")
    assert ungated_adapter == ["http://127.0.0.1:9/v1/charges"] and gate.stats.requests == 1


def test_installing_twice_replaces_the_gate_without_gating_twice(ungated_adapter):
    install_request_gate({"credentials": {"access_token": "sk_live_x"}})
    gate = install_request_gate({"credentials": {"access_token": "sk_live_x"}, "num_workers": 2})
    requests.Session().get("http://127.0.0.1:9/v1/charges")
    assert gate.stats.requests == 1 and gate.budget == 100


def test_uninstalling_restores_the_adapter(ungated_adapter):
    install_request_gate({"credentials": {"access_token": "sk_test_x"}})
    gate = installed_gate()
    uninstall_request_gate()
    requests.Session().get("http://127.0.0.1:9/v1/charges")
    assert installed_gate() is None and gate.stats.requests == 0 and len(ungated_adapter) == 1


# --- the config -----------------------------------------------------------------------------------------------------


def test_num_workers_auto_in_a_config_file_reads_as_absent():
    config = normalize_config({"credentials": {"access_token": "sk_test_x"}, "num_workers": "auto"})
    validate_config(config)
    assert "num_workers" not in config and ConcurrencySetting.of(config).adaptive


def test_a_num_workers_neither_a_number_nor_auto_is_refused_naming_both():
    with pytest.raises(ConfigError, match='num_workers must be a whole number or "auto"'):
        validate_config(normalize_config({"credentials": {"access_token": "sk_test_x"}, "num_workers": "fast"}))
