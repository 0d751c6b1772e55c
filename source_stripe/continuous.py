"""Continuous mode: with `poll_interval_seconds` set, `read` backfills as usual, then keeps polling Stripe's events.

Each poll is one incremental read of the catalog's incremental streams from the state the previous poll ended with:
one events pass answers every stream (components/events_pass.py), so a poll with no changes costs one request.
- Full-refresh streams are read by the first poll only. Incremental streams Stripe sends no events for (lists on a
  `created` cursor: balance transactions, files, …) are re-read every `LIST_POLL_SECONDS`, not every poll.
- After the first poll, output is what changed: the records, then a STATE for each stream that emitted records, and
  one log line per poll that moved something. The CDK's per-read INFO logs and stream statuses are left out; WARN
  and ERROR logs and error traces are kept.
- A run is never silent longer than `HEARTBEAT_SECONDS`: it then emits the latest STATE of every stream (which also
  keeps every saved cursor within Stripe's event retention however long nothing changes).
- Events a stream got in an earlier poll of the run are not given to it again (`ServedEvents`), so the events
  overlap re-reads the past without emitting the same records again.
- It stops on SIGTERM/SIGINT (`stop`) or after `max_run_minutes`: between polls at once, during a poll when the poll
  ends (or after `STOP_GRACE_SECONDS`, leaving what the poll emitted after its last STATE to the next run). It ends
  with the latest STATE of every stream.
- A failed poll is reported (its error traces, a WARN) and retried at the next interval with the same state; the run
  ends with exit 1 after `MAX_FAILED_POLLS` failed polls in a row, or at once on a config error.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Mapping, Optional, Set

from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Level,
    SyncMode,
    TraceType,
    Type,
)

from source_stripe.components.events_pass import ServedEvents

LIST_POLL_SECONDS = 60
HEARTBEAT_SECONDS = 30
STOP_GRACE_SECONDS = 1.5
MAX_FAILED_POLLS = 5
PRUNE_MARGIN_SECONDS = 120
QUIET_LOG_LEVELS = frozenset({Level.INFO, Level.DEBUG, Level.TRACE})

logger = logging.getLogger("airbyte")


@dataclass
class PollOutcome:
    """What one poll did: records per stream, whether it failed (and how), how long it took."""

    records: Counter = field(default_factory=Counter)
    failed: bool = False
    config_error: bool = False
    seconds: float = 0.0
    abandoned: bool = False


def state_stream(message: AirbyteMessage) -> Optional[str]:
    state = message.state
    if state is None or state.stream is None:
        return None
    return state.stream.stream_descriptor.name


def log_message(text: str, level: Level = Level.INFO) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=text))


def is_quiet(message: AirbyteMessage) -> bool:
    """CDK output that every read repeats (its INFO logs, stream statuses): shown by the first poll only."""
    if message.type == Type.LOG and message.log is not None:
        return message.log.level in QUIET_LOG_LEVELS
    if message.type == Type.TRACE and message.trace is not None:
        return message.trace.type == TraceType.STREAM_STATUS
    return False


class ContinuousRead:
    """Runs polls until stopped; `messages()` yields every message to print, `exit_code` says how it ended.

    `read_once(catalog, state, served_before, served_now)` runs one read and yields its messages (SourceStripe
    through the CDK's entrypoint; a test may pass its own): its events pass leaves out `served_before` and, once the
    read is done, adds what it answered to `served_now`.
    """

    def __init__(
        self,
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]],
        read_once: Callable[
            [ConfiguredAirbyteCatalog, List[AirbyteStateMessage], ServedEvents, ServedEvents], Iterator[AirbyteMessage]
        ],
        poll_interval: float,
        max_run_seconds: Optional[float] = None,
        overlap_seconds: int = 60,
        stop: Optional[threading.Event] = None,
        clock: Callable[[], float] = time.monotonic,
        flush: Callable[[], None] = lambda: None,
        event_streams: Optional[Set[str]] = None,
        quiet: Callable[[bool], None] = lambda on: None,
    ) -> None:
        self.catalog = catalog
        self.read_once = read_once
        self.poll_interval = poll_interval
        self.max_run_seconds = max_run_seconds
        self.overlap_seconds = overlap_seconds
        self.stop = stop or threading.Event()
        self.clock = clock
        self.flush = flush  # pushes what was printed out before the run waits
        self.event_streams = event_streams  # the streams the events pass answers (None: every incremental stream)
        self.quiet = quiet  # quiet(True): the CDK's INFO logs are left out from now on
        self.states: Dict[str, AirbyteStateMessage] = {}
        self.initial_state = list(state or [])
        self.served = ServedEvents()
        self.polls = 0
        self.exit_code = 0
        self._started = clock()
        self._last_output = clock()
        self._last_list_poll = clock()
        self._stop_asked_at: Optional[float] = None
        self._abandoned = False

    # ----------------------------------------------------------------------------------------------------------------
    @property
    def abandoned(self) -> bool:
        """Whether the run stopped in the middle of a poll (its read's threads may still be running)."""
        return self._abandoned

    def messages(self) -> Iterator[AirbyteMessage]:
        failures = 0
        while True:
            poll_started = self.clock()
            catalog = self._poll_catalog(poll_started)
            outcome = PollOutcome()
            yield from self._poll(catalog, outcome)
            outcome.seconds = self.clock() - poll_started
            self.polls += 1
            if outcome.abandoned:
                self._abandoned = True
                return
            if outcome.failed:
                failures += 1
                if outcome.config_error or failures >= MAX_FAILED_POLLS:
                    self.exit_code = 1
                    yield from self._final_states()
                    return
                yield self._emit(log_message(f"source-stripe: poll {self.polls} failed; retrying in "
                                             f"{self.poll_interval:g} s from the same state", Level.WARN))
            else:
                failures = 0
                if self.polls > 1 and outcome.records:
                    moved = ", ".join(f"{name} {count}" for name, count in sorted(outcome.records.items()))
                    self.quiet(False)
                    yield self._emit(log_message(
                        f"source-stripe: poll {self.polls}: {sum(outcome.records.values())} records ({moved}) "
                        f"in {outcome.seconds:.1f} s"
                    ))
            if self.clock() - self._last_output >= HEARTBEAT_SECONDS:
                yield from self._final_states()
            if self._should_end():
                yield from self._final_states()
                return
            self.flush()
            self.stop.wait(max(0.0, self.poll_interval - (self.clock() - poll_started)))
            if self._should_end():
                yield from self._final_states()
                return

    # ----------------------------------------------------------------------------------------------------------------
    def _poll(self, catalog: ConfiguredAirbyteCatalog, outcome: PollOutcome) -> Iterator[AirbyteMessage]:
        first = self.polls == 0
        self.quiet(not first)
        state = list(self.states.values()) if self.states or not first else self.initial_state
        served = ServedEvents()
        try:
            for message in BackgroundRead(self.read_once(catalog, state, self.served, served)).messages(self._abandon):
                if message is None:  # stopped more than STOP_GRACE_SECONDS ago, the poll still running
                    outcome.abandoned = True
                    return
                if message.type == Type.RECORD and message.record is not None:
                    outcome.records[message.record.stream] += 1
                elif message.type == Type.STATE:
                    name = state_stream(message)
                    if name is not None:
                        self.states[name] = message.state  # type: ignore[assignment]
                        if not first and not outcome.records.get(name):
                            continue  # moved nothing: kept for the heartbeat and the end (`_final_states`)
                elif message.type == Type.TRACE and message.trace is not None and message.trace.type == TraceType.ERROR:
                    outcome.failed = True
                    error = message.trace.error
                    outcome.config_error |= bool(error is not None and error.failure_type == FailureType.config_error
                                                 and "did not sync successfully" not in (error.message or ""))
                if first or not is_quiet(message):
                    yield self._emit(message)
        except Exception as error:  # noqa: BLE001 - the CDK raises after the error traces of a failed read
            outcome.failed = True
            yield self._emit(log_message(f"source-stripe: poll {self.polls + 1} ended with an error: {error}", Level.WARN))
            return
        if not outcome.failed:
            # A failed poll's streams get its events again; pruning early costs at most a repeated record.
            self.served.merge(served)
            self.served.prune(before=int(time.time()) - self.overlap_seconds - int(self.poll_interval) - PRUNE_MARGIN_SECONDS)

    def _poll_catalog(self, now: float) -> ConfiguredAirbyteCatalog:
        """The first poll reads the whole catalog; later ones its incremental streams, the list-polled ones (no
        events) every LIST_POLL_SECONDS."""
        if self.polls == 0:
            return self.catalog
        lists_due = now - self._last_list_poll >= LIST_POLL_SECONDS
        if lists_due:
            self._last_list_poll = now
        streams = [
            configured
            for configured in self.catalog.streams
            if configured.sync_mode == SyncMode.incremental
            and (lists_due or self.event_streams is None or configured.stream.name in self.event_streams)
        ]
        return ConfiguredAirbyteCatalog(streams=streams)

    def _final_states(self) -> Iterator[AirbyteMessage]:
        for state in self.states.values():
            yield self._emit(AirbyteMessage(type=Type.STATE, state=state))

    def _emit(self, message: AirbyteMessage) -> AirbyteMessage:
        self._last_output = self.clock()
        return message

    def _should_end(self) -> bool:
        if self.stop.is_set():
            return True
        return self.max_run_seconds is not None and self.clock() - self._started >= self.max_run_seconds

    def _abandon(self) -> bool:
        """True once a stop was asked more than STOP_GRACE_SECONDS ago while a poll was still running."""
        if not self.stop.is_set():
            return False
        if self._stop_asked_at is None:
            self._stop_asked_at = self.clock()
        return self.clock() - self._stop_asked_at > STOP_GRACE_SECONDS


class BackgroundRead:
    """A poll's read in a daemon thread, its messages handed over through a bounded queue: the run can give up waiting
    for a poll that is still building its streams or waiting on Stripe, which yields no message to check between."""

    _DONE = object()
    WAIT_SECONDS = 0.1

    def __init__(self, messages: Iterator[AirbyteMessage], capacity: int = 1000) -> None:
        self._queue: "queue.Queue[Any]" = queue.Queue(maxsize=capacity)
        threading.Thread(target=self._run, args=(messages,), daemon=True, name="continuous-poll").start()

    def _run(self, messages: Iterator[AirbyteMessage]) -> None:
        try:
            for message in messages:
                self._queue.put(message)
        except BaseException as error:  # noqa: BLE001 - handed to the run, which reports it
            self._queue.put(_Raised(error))
            return
        self._queue.put(self._DONE)

    def messages(self, give_up: Callable[[], bool]) -> Iterator[Optional[AirbyteMessage]]:
        """The read's messages; None (and nothing after it) once `give_up()` says so; the read's exception raised."""
        while True:
            try:
                item = self._queue.get(timeout=self.WAIT_SECONDS)
            except queue.Empty:
                if give_up():
                    yield None
                    return
                continue
            if item is self._DONE:
                return
            if isinstance(item, _Raised):
                raise item.error
            if give_up():
                yield None
                return
            yield item


@dataclass(frozen=True)
class _Raised:
    error: BaseException


def poll_settings(config: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """The continuous-mode settings of a config, or None for batch mode."""
    interval = config.get("poll_interval_seconds")
    if not interval:
        return None
    minutes = config.get("max_run_minutes")
    return {
        "poll_interval": float(interval),
        "max_run_seconds": float(minutes) * 60 if minutes else None,
        "overlap_seconds": int(config.get("events_overlap_seconds") or 60),
    }
