"""Continuous mode (source_stripe/continuous.py), with a fake read in place of the connector's."""

from __future__ import annotations

import threading
import time
from typing import Iterator, List

from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Level,
    StreamDescriptor,
    TraceType,
    Type,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder, ConfiguredAirbyteStreamBuilder
from airbyte_cdk.models import SyncMode

from source_stripe.components.events_pass import PassEvent, ServedEvents
from source_stripe.continuous import HEARTBEAT_SECONDS, LIST_POLL_SECONDS, ContinuousRead, poll_settings


def record(stream: str, n: int) -> AirbyteMessage:
    return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=stream, data={"id": n}, emitted_at=0))


def state(stream: str, cursor: int) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name=stream), stream_state=AirbyteStateBlob(updated=cursor)
            ),
        ),
    )


def info(text: str) -> AirbyteMessage:
    return AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message=text))


def status(stream: str) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.STREAM_STATUS, emitted_at=0,
            stream_status=AirbyteStreamStatusTraceMessage(
                stream_descriptor=StreamDescriptor(name=stream), status=AirbyteStreamStatus.COMPLETE
            ),
        ),
    )


def error(failure_type: FailureType, text: str = "boom") -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ERROR, emitted_at=0, error=AirbyteErrorTraceMessage(message=text, failure_type=failure_type)
        ),
    )


def catalog(**modes: SyncMode) -> ConfiguredAirbyteCatalog:
    builder = CatalogBuilder()
    for name, mode in modes.items():
        builder = builder.with_stream(ConfiguredAirbyteStreamBuilder().with_name(name).with_sync_mode(mode))
    return builder.build()


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class ScriptedReads:
    """Each read yields the next scripted messages; records what each read was asked."""

    def __init__(self, scripts: List[List[AirbyteMessage]], clock: FakeClock, stop: threading.Event) -> None:
        self.scripts, self.clock, self.stop = scripts, clock, stop
        self.catalogs: List[List[str]] = []
        self.states: List[List[str]] = []
        self.served_before: List[ServedEvents] = []

    def __call__(self, catalog, state, served_before, served_now) -> Iterator[AirbyteMessage]:
        self.catalogs.append([configured.stream.name for configured in catalog.streams])
        self.states.append([f"{s.stream.stream_descriptor.name}={s.stream.stream_state.updated}" for s in state])
        snapshot = ServedEvents()
        snapshot.merge(served_before)
        self.served_before.append(snapshot)
        index = len(self.catalogs) - 1
        yield from self.scripts[index] if index < len(self.scripts) else []
        served_now.add("charges", [PassEvent(f"evt_{index}", "charge.updated", 10**10, b"{}")])
        if index + 1 >= len(self.scripts):
            self.stop.set()


class InstantEvent(threading.Event):
    """A stop event whose waits advance the fake clock instead of sleeping."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.waits: List[float] = []

    def wait(self, timeout=None) -> bool:
        self.waits.append(timeout)
        self.clock.now += timeout or 0
        return self.is_set()


def run(scripts, modes=None, **kwargs):
    clock = FakeClock()
    stop = InstantEvent(clock)
    reads = ScriptedReads(scripts, clock, stop)
    runner = ContinuousRead(
        catalog=catalog(**(modes or {"charges": SyncMode.incremental, "accounts": SyncMode.full_refresh})),
        state=None, read_once=reads, poll_interval=2, stop=stop, clock=clock, event_streams={"charges"}, **kwargs,
    )
    return runner, reads, list(runner.messages()), stop


def test_the_first_poll_is_a_whole_read_and_later_polls_show_only_changes():
    first = [info("Marking stream charges as STARTED"), record("charges", 1), record("accounts", 2), status("charges"),
             state("charges", 100), state("accounts", 0)]
    idle = [info("Marking stream charges as STARTED"), status("charges"), state("charges", 102)]
    moved = [info("Read 1 records"), record("charges", 3), state("charges", 104)]
    runner, reads, out, _stop = run([first, idle, moved])
    assert out[:6] == first
    later = out[6:]
    assert [m.type for m in later] == [Type.RECORD, Type.STATE, Type.LOG, Type.STATE, Type.STATE]
    assert later[0] == moved[1] and later[1] == moved[2]
    assert later[2].log.message.startswith("source-stripe: poll 3: 1 records (charges 1)")
    # The run ends with the latest state of every stream.
    assert {m.state.stream.stream_descriptor.name: m.state.stream.stream_state.updated for m in later[3:]} == {
        "charges": 104, "accounts": 0}
    assert runner.exit_code == 0


def test_later_polls_read_the_incremental_streams_from_the_state_the_previous_poll_ended_with():
    scripts = [[state("charges", 100), state("accounts", 0)], [state("charges", 102)], [state("charges", 104)]]
    _runner, reads, _out, _stop = run(scripts)
    assert reads.catalogs == [["charges", "accounts"], ["charges"], ["charges"]]
    assert reads.states == [[], ["charges=100", "accounts=0"], ["charges=102", "accounts=0"]]


def test_streams_without_events_are_read_every_list_poll_interval_only():
    polls = LIST_POLL_SECONDS // 2 + 3
    scripts = [[state("charges", n)] for n in range(polls)]
    _runner, reads, _out, _stop = run(
        scripts, modes={"charges": SyncMode.incremental, "balance_transactions": SyncMode.incremental}
    )
    with_lists = [i for i, names in enumerate(reads.catalogs) if "balance_transactions" in names]
    assert with_lists[0] == 0 and len(with_lists) == 2
    assert (with_lists[1] - with_lists[0]) * 2 >= LIST_POLL_SECONDS


def test_each_poll_waits_what_is_left_of_the_interval():
    _runner, _reads, _out, stop = run([[state("charges", 1)]] * 3)
    assert stop.waits == [2, 2]


def test_events_a_poll_answered_are_left_out_of_the_next_polls():
    _runner, reads, _out, _stop = run([[state("charges", 1)]] * 3)
    assert set(reads.served_before[2].served("charges")) == {"evt_0", "evt_1"}


def test_a_silent_run_emits_every_streams_state_as_a_heartbeat():
    polls = HEARTBEAT_SECONDS // 2 + 2
    scripts = [[state("charges", 100), state("accounts", 0)]] + [[state("charges", 100 + n)] for n in range(1, polls)]
    _runner, _reads, out, _stop = run(scripts)
    later_states = [m for m in out[2:] if m.type == Type.STATE]
    assert len(later_states) >= 4  # a heartbeat of both streams, and the final states
    assert {m.state.stream.stream_descriptor.name for m in later_states} == {"charges", "accounts"}


def test_a_failed_poll_is_retried_from_the_same_state():
    scripts = [[state("charges", 100)], [error(FailureType.transient_error), state("charges", 100)], [state("charges", 104)]]
    runner, reads, out, _stop = run(scripts)
    assert runner.exit_code == 0
    assert any(m.type == Type.LOG and "poll 2 failed" in m.log.message for m in out)
    assert reads.states[2] == ["charges=100"]
    assert "evt_1" not in reads.served_before[2].served("charges")  # the failed poll's events come again


def test_a_config_error_ends_the_run_with_exit_1():
    runner, reads, out, _stop = run([[state("charges", 100)], [error(FailureType.config_error, "bad key")], []])
    assert runner.exit_code == 1
    assert len(reads.catalogs) == 2
    assert out[-1].type == Type.STATE


def test_max_run_minutes_ends_the_run_after_the_poll():
    runner, reads, _out, _stop = run([[state("charges", n)] for n in range(100)], max_run_seconds=10)
    assert 5 <= len(reads.catalogs) <= 7
    assert runner.exit_code == 0


def test_poll_settings_are_absent_in_batch_mode():
    assert poll_settings({}) is None
    assert poll_settings({"poll_interval_seconds": 2, "max_run_minutes": 3, "events_overlap_seconds": 30}) == {
        "poll_interval": 2.0, "max_run_seconds": 180.0, "overlap_seconds": 30}


def test_a_stop_during_a_poll_that_yields_nothing_ends_the_run_within_the_grace():
    stop = threading.Event()
    release = threading.Event()

    def stuck_read(catalog, state, served_before, served_now):
        yield state_message_once[0]
        release.wait(30)  # a poll still building its streams, or waiting on Stripe
        yield record("charges", 1)

    state_message_once = [state("charges", 1)]
    runner = ContinuousRead(catalog=catalog(charges=SyncMode.incremental), state=None, read_once=stuck_read,
                            poll_interval=2, stop=stop)
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    out = list(runner.messages())
    release.set()
    assert time.monotonic() - started < 2.5
    assert runner.abandoned and out == state_message_once


def test_an_exception_of_the_read_is_a_failed_poll():
    def failing_read(catalog, state, served_before, served_now):
        yield state("charges", 1)
        raise RuntimeError("the following streams did not sync successfully")

    clock = FakeClock()
    stop = InstantEvent(clock)
    runner = ContinuousRead(catalog=catalog(charges=SyncMode.incremental), state=None, read_once=failing_read,
                            poll_interval=2, stop=stop, clock=clock)
    out = list(runner.messages())
    assert runner.exit_code == 1  # five failed polls in a row
    assert sum(1 for m in out if m.type == Type.LOG and "ended with an error" in m.log.message) == 5
