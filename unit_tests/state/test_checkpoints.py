"""The state a read writes for the streams read through Stripe's events."""

from typing import Any, Dict, List

import pytest

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateStats,
    AirbyteStateType,
    AirbyteStreamState,
    AirbyteStreamStatus,
    AirbyteStreamStatusTraceMessage,
    AirbyteTraceMessage,
    StreamDescriptor,
    TraceType,
    Type,
)

from source_stripe.state.checkpoints import EventCursorCheckpoints, cursor_state_message, with_integer_cursor

STARTED = 1_800_000_000


def state(name: str, count: float = 1.0, **values: Any) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name=name), stream_state=AirbyteStateBlob(**values)),
            sourceStats=AirbyteStateStats(recordCount=count),
        ),
    )


def complete(name: str) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.STREAM_STATUS,
            emitted_at=0,
            stream_status=AirbyteStreamStatusTraceMessage(
                stream_descriptor=StreamDescriptor(name=name), status=AirbyteStreamStatus.COMPLETE
            ),
        ),
    )


def record(name: str, **data: Any) -> AirbyteMessage:
    return AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream=name, data=data, emitted_at=0))


def states(messages: List[AirbyteMessage]) -> List[Dict[str, Any]]:
    return [dict(vars(m.state.stream.stream_state)) for m in messages if m.type == Type.STATE]


def rewrite(messages, **kwargs) -> List[AirbyteMessage]:
    kwargs.setdefault("streams", ["charges"])
    return list(EventCursorCheckpoints(started=STARTED, **kwargs).rewrite(messages))


def test_cursors_are_written_as_integers():
    out = rewrite([state("charges", updated=str(STARTED + 5))])
    assert states(out) == [{"updated": STARTED + 5}]


def test_a_quiet_stream_ends_at_the_time_the_read_started():
    out = rewrite([state("charges", updated="1700000000"), complete("charges"), state("charges", updated="1700000000")])
    assert states(out) == [{"updated": 1700000000}, {"updated": STARTED}, {"updated": STARTED}]


def test_a_stream_whose_cursor_passed_the_read_start_keeps_it():
    out = rewrite([state("charges", updated=str(STARTED + 9)), complete("charges"), state("charges", updated=str(STARTED + 9))])
    assert states(out) == [{"updated": STARTED + 9}, {"updated": STARTED + 9}]


def test_list_checkpoints_of_a_backfill_are_marked_resumable():
    out = rewrite([state("charges", updated="1735000000")], backfills={"charges": STARTED - 50})
    assert states(out) == [{"updated": 1735000000, "backfill_started": STARTED - 50}]


def test_a_completed_backfill_ends_at_the_time_it_began_even_when_the_list_went_further():
    out = rewrite(
        [state("charges", updated=str(STARTED + 3)), complete("charges"), state("charges", 7.0, updated=str(STARTED + 3))],
        backfills={"charges": STARTED - 50},
    )
    assert states(out) == [
        {"updated": STARTED + 3, "backfill_started": STARTED - 50},
        {"updated": STARTED - 50},
        {"updated": STARTED - 50},
    ]
    assert out[-1].state.sourceStats.recordCount == 7.0  # the CDK's count of records since the previous state


def test_a_child_streams_cursorless_first_read_state_is_not_written():
    out = rewrite([state("invoice_line_items", __ab_no_cursor_state_message=True), complete("invoice_line_items")],
                  streams=["invoice_line_items"], backfills={"invoice_line_items": STARTED})
    assert states(out) == [{"updated": STARTED}]


def test_streams_not_read_through_events_pass_unchanged():
    message = state("events", created="1700000000")
    out = rewrite([message, complete("events")])
    assert states(out) == [{"created": 1700000000}]
    assert [m.type for m in out] == [Type.STATE, Type.TRACE]


def test_records_of_a_re_listed_stream_are_as_of_the_read():
    out = rewrite([record("charges", id="ch_1", updated=1700000000, is_deleted=False), record("customers", id="c", updated=5)],
                  re_listed={"charges"})
    assert [m.record.data["updated"] for m in out] == [STARTED, 5]


def test_records_of_other_streams_keep_their_updated():
    out = rewrite([record("charges", id="ch_1", updated=1700000000, is_deleted=False)])
    assert out[0].record.data["updated"] == 1700000000


# --- cursors written as integers, cursor state messages ------------------------------------------------------


def state_message(name: str, **blob: Any) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name=name), stream_state=AirbyteStateBlob(**blob)),
        ),
    )


@pytest.mark.parametrize("field", ["updated", "created"])
def test_a_string_cursor_is_written_as_an_integer(field):
    message = with_integer_cursor(state_message("charges", **{field: "1800000000"}))
    value = getattr(message.state.stream.stream_state, field)
    assert value == STARTED and type(value) is int


def test_an_integer_cursor_and_other_fields_are_written_as_they_are():
    message = with_integer_cursor(state_message("charges", updated=STARTED, note="1800000000"))
    assert vars(message.state.stream.stream_state) == {"updated": STARTED, "note": "1800000000"}


def test_a_cursor_that_is_no_number_is_left_alone():
    message = with_integer_cursor(state_message("charges", updated="soon"))
    assert message.state.stream.stream_state.updated == "soon"


def test_messages_that_are_no_stream_state_pass_unchanged():
    record = AirbyteMessage(type=Type.LOG, log={"level": "INFO", "message": "1800000000"})
    assert with_integer_cursor(record) is record


def test_a_cursor_state_message_holds_the_integer_cursor_and_no_records():
    message = cursor_state_message("charges", STARTED)
    assert message.state.stream.stream_descriptor.name == "charges"
    assert dict(vars(message.state.stream.stream_state)) == {"updated": STARTED}
    assert message.state.sourceStats.recordCount == 0
