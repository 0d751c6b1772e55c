"""A bound on the time a read spends retrying while Stripe is unreachable or failing every request.

Each request is retried at most 8 times (manifest.yaml's error handler), but a read sends many requests, one after
the other and several at once, so per-request retries alone do not bound a sync in an outage. `OutageClock` is one
clock for the whole process: it starts at the first failure (5xx, connection error, timeout, unreadable body) after
a success and stops at the next answer from Stripe that is no failure. Once it has run for the budget (10 minutes,
`OUTAGE_BUDGET_SECONDS`), every failing request fails at once as a `transient_error` instead of being retried, and
`OutageBoundedBackoff` never sleeps past the budget; so a sync in an outage ends about 10 minutes after its first
failed request.

`SOURCE_STRIPE_OUTAGE_BUDGET_SECONDS` sets another budget (the integration tests use a few seconds).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import InitVar, dataclass
from typing import Any, Callable, Mapping, Optional, Union

import requests
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy

OUTAGE_BUDGET_SECONDS = 600.0
BUDGET_VARIABLE = "SOURCE_STRIPE_OUTAGE_BUDGET_SECONDS"


class OutageClock:
    """How long every request has been failing, thread-safe."""

    def __init__(self, budget_seconds: float, now: Callable[[], float] = time.monotonic) -> None:
        self.budget_seconds = budget_seconds
        self._now = now
        self._since: Optional[float] = None
        self._lock = threading.Lock()

    def failed(self) -> None:
        with self._lock:
            if self._since is None:
                self._since = self._now()

    def succeeded(self) -> None:
        with self._lock:
            self._since = None

    def failing_for(self) -> float:
        since = self._since
        return 0.0 if since is None else self._now() - since

    def remaining(self) -> float:
        """Seconds of retrying left before the budget runs out (the whole budget when nothing is failing)."""
        return self.budget_seconds - self.failing_for()

    def exhausted(self) -> bool:
        return self._since is not None and self.remaining() <= 0


def _budget_from_environment() -> float:
    value = os.environ.get(BUDGET_VARIABLE)
    return float(value) if value else OUTAGE_BUDGET_SECONDS


OUTAGE = OutageClock(_budget_from_environment())


@dataclass
class OutageBoundedBackoff(BackoffStrategy):
    """Exponential backoff (`factor` × 2^attempt seconds: 2, 4, 8 … 256 for 8 retries), never past the outage
    budget's end.

        backoff_strategies:
          - type: CustomBackoffStrategy
            class_name: source_stripe.outage.OutageBoundedBackoff
            factor: 1
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Mapping[str, Any]
    factor: float = 1
    clock: Optional[OutageClock] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.factor = float(self.factor)

    def backoff_time(
        self,
        response_or_exception: Optional[Union[requests.Response, requests.RequestException]],
        attempt_count: int,
    ) -> Optional[float]:
        clock = self.clock or OUTAGE
        # The CDK sleeps one second more than asked; a positive wait is needed for the CDK to use this strategy.
        return max(0.001, min(self.factor * 2**attempt_count, clock.remaining() - 1))
