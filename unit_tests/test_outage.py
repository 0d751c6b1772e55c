"""OutageClock and OutageBoundedBackoff: retries in an outage end within the budget; and the error handler's use of
them (a failure after the budget is a transient failure, not a retry)."""

from __future__ import annotations

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from helpers import response
from source_stripe import outage
from source_stripe.outage import OutageBoundedBackoff, OutageClock


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_clock_runs_from_the_first_failure_and_stops_at_a_success():
    now = FakeTime()
    clock = OutageClock(60, now=now)
    assert clock.remaining() == 60 and not clock.exhausted()
    clock.failed()
    now.now += 40
    clock.failed()  # a later failure does not restart it
    assert clock.remaining() == 20
    now.now += 20
    assert clock.exhausted()
    clock.succeeded()
    assert not clock.exhausted() and clock.remaining() == 60


def test_backoff_doubles_per_attempt_but_never_sleeps_past_the_budget():
    now = FakeTime()
    clock = OutageClock(100, now=now)
    backoff = OutageBoundedBackoff(parameters={}, config={}, factor=1, clock=clock)
    assert [backoff.backoff_time(None, attempt) for attempt in (1, 2, 3)] == [2, 4, 8]
    clock.failed()
    now.now += 90
    assert backoff.backoff_time(None, 8) == 9  # 10 s left, minus the second the CDK adds to each sleep
    now.now += 20
    assert 0 < backoff.backoff_time(None, 1) < 0.01


def test_the_default_budget_is_ten_minutes(monkeypatch):
    monkeypatch.delenv(outage.BUDGET_VARIABLE, raising=False)
    assert outage._budget_from_environment() == 600
    monkeypatch.setenv(outage.BUDGET_VARIABLE, "3")
    assert outage._budget_from_environment() == 3


def _handler():
    from source_stripe.components.error_handlers import StripeErrorHandler

    return StripeErrorHandler(config={}, parameters={})


def test_a_5xx_or_a_connection_error_after_the_budget_fails_at_once_as_transient(monkeypatch):
    now = FakeTime()
    clock = OutageClock(30, now=now)
    monkeypatch.setattr("source_stripe.components.error_handlers.OUTAGE", clock)
    assert _handler().interpret_response(response(503, {"error": {"message": "down"}})).response_action == ResponseAction.RETRY
    now.now += 31
    for failure in (response(503, {"error": {"message": "down"}}), requests.ConnectionError("refused")):
        resolution = _handler().interpret_response(failure)
        assert resolution.response_action == ResponseAction.FAIL
        assert resolution.failure_type == FailureType.transient_error
        assert "unreachable or failing every request" in resolution.error_message


def test_any_answer_that_is_no_failure_stops_the_outage_clock(monkeypatch):
    now = FakeTime()
    clock = OutageClock(30, now=now)
    monkeypatch.setattr("source_stripe.components.error_handlers.OUTAGE", clock)
    _handler().interpret_response(response(500, {"error": {"message": "down"}}))
    now.now += 31
    _handler().interpret_response(response(404, {"error": {"message": "No such charge", "type": "invalid_request_error"}}))
    assert not clock.exhausted()
    assert _handler().interpret_response(response(500, {"error": {"message": "down"}})).response_action == ResponseAction.RETRY


def test_a_429_neither_starts_nor_stops_the_outage_clock(monkeypatch):
    clock = OutageClock(30, now=FakeTime())
    monkeypatch.setattr("source_stripe.components.error_handlers.OUTAGE", clock)
    _handler().interpret_response(response(429, {"error": {"message": "slow down"}}))
    assert clock.failing_for() == 0
