"""Stream state in and out: one flat integer cursor per stream, whatever shape the saved state has (ours, or
Airbyte's Stripe connector 5.x: string cursors, nested global or per-partition blobs of child streams)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlsplit

import pytest
import requests_mock
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
    SyncMode,
    Type,
)
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from helpers import API, error_messages, make_config, page, run_read
from source_stripe.source import SourceStripe
from source_stripe.state import cursor_fields, flat_cursor, is_no_cursor_state, normalize_input_state, with_integer_cursor

JAN_1_2026 = 1767225600  # 2026-01-01T00:00:00Z
DEFAULT_OVERLAP = 60
FIELDS = {"charges": "updated", "invoice_line_items": "updated", "events": "created"}


def partition(invoice: str, cursor: Any) -> Dict[str, Any]:
    return {"partition": {"parent_slice": {}, "invoice": invoice}, "cursor": {"updated": cursor}}


def blobs(messages: List[AirbyteStateMessage]) -> Dict[str, Dict[str, Any]]:
    return {m.stream.stream_descriptor.name: dict(vars(m.stream.stream_state)) for m in messages}


# --- flat_cursor -----------------------------------------------------------------------------------------------


def test_an_integer_cursor_is_the_cursor():
    assert flat_cursor({"updated": JAN_1_2026}, "updated") == JAN_1_2026


def test_a_numeric_string_cursor_is_read_as_an_integer():
    assert flat_cursor({"updated": "1767225600"}, "updated") == JAN_1_2026


def test_a_float_string_cursor_is_read_down_to_the_second():
    assert flat_cursor({"updated": "1767225600.9"}, "updated") == JAN_1_2026


def test_the_other_cursor_name_stands_in_for_a_missing_cursor():
    assert flat_cursor({"created": "1767225600"}, "updated") == JAN_1_2026
    assert flat_cursor({"updated": JAN_1_2026}, "created") == JAN_1_2026


def test_the_streams_own_cursor_name_wins_over_the_other():
    assert flat_cursor({"created": 5, "updated": JAN_1_2026}, "updated") == JAN_1_2026


def test_a_nested_global_cursor_is_the_cursor():
    state = {"use_global_cursor": True, "state": {"updated": "1767225600"}, "lookback_window": 0}
    assert flat_cursor(state, "updated") == JAN_1_2026


def test_per_partition_cursors_give_the_oldest_of_them():
    state = {
        "states": [partition("in_1", "1767300000"), partition("in_2", "1767225600"), partition("in_3", 1767400000)],
        "parent_state": {"invoices": {"updated": "1767500000"}},
    }
    assert flat_cursor(state, "updated") == JAN_1_2026


def test_the_parent_state_is_not_the_childs_cursor():
    assert flat_cursor({"parent_state": {"invoices": {"updated": "1767500000"}}}, "updated") is None


def test_per_partition_cursors_with_one_partition_whose_cursor_is_unreadable_give_no_cursor():
    state = {"states": [partition("in_1", "1767300000"), {"partition": {"invoice": "in_2"}, "cursor": {}}]}
    assert flat_cursor(state, "updated") is None
    state = {"states": [partition("in_1", "1767300000"), partition("in_2", "yesterday")]}
    assert flat_cursor(state, "updated") is None


@pytest.mark.parametrize(
    "state",
    [
        {},
        {"updated": None},
        {"updated": ""},
        {"updated": "2026-01-01T00:00:00Z"},
        {"updated": True},
        {"updated": [JAN_1_2026]},
        {"state": "1767225600"},
        {"states": []},
        {"states": "1767225600"},
        {"something": "else"},
    ],
)
def test_garbage_has_no_cursor(state):
    assert flat_cursor(state, "updated") is None


# --- normalize_input_state -------------------------------------------------------------------------------------


def test_known_streams_get_their_cursor_as_the_string_the_cdk_reads():
    state = (
        StateBuilder()
        .with_stream_state("charges", {"updated": JAN_1_2026})
        .with_stream_state("events", {"created": "1767225600.5"})
        .with_stream_state("invoice_line_items", {"states": [partition("in_1", "1767300000")], "parent_state": {}})
        .build()
    )
    assert blobs(normalize_input_state(state, FIELDS)) == {
        "charges": {"updated": "1767225600"},
        "events": {"created": "1767225600"},
        "invoice_line_items": {"updated": "1767300000"},
    }


def test_an_unreadable_state_is_dropped_with_a_warning_naming_the_stream(caplog):
    state = (
        StateBuilder()
        .with_stream_state("charges", {"updated": "not a time"})
        .with_stream_state("events", {"created": JAN_1_2026})
        .build()
    )
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        normalized = normalize_input_state(state, FIELDS)
    assert list(blobs(normalized)) == ["events"]
    warnings = [r for r in caplog.records if r.name == "airbyte" and r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "'charges'" in warnings[0].getMessage()
    assert "updated" in warnings[0].getMessage()


def test_a_saved_no_cursor_state_makes_the_stream_start_over(caplog):
    state = StateBuilder().with_stream_state("invoice_line_items", {"__ab_no_cursor_state_message": True}).build()
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        assert normalize_input_state(state, FIELDS) == []
    assert any("'invoice_line_items'" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_the_state_of_an_unknown_stream_is_kept_as_it_is():
    state = StateBuilder().with_stream_state("not_a_stream", {"whatever": {"nested": 1}}).build()
    [message] = normalize_input_state(state, FIELDS)
    assert message is state[0]
    assert dict(vars(message.stream.stream_state)) == {"whatever": {"nested": 1}}


def test_a_global_state_message_is_kept_as_it_is():
    message = AirbyteStateMessage(type=AirbyteStateType.GLOBAL)
    assert normalize_input_state([message], FIELDS) == [message]


def test_no_state_stays_no_state():
    assert normalize_input_state(None, FIELDS) is None


# --- with_integer_cursor ---------------------------------------------------------------------------------------


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
    message = with_integer_cursor(state_message("charges", **{field: "1767225600"}))
    value = getattr(message.state.stream.stream_state, field)
    assert value == JAN_1_2026 and type(value) is int


def test_an_integer_cursor_and_other_fields_are_written_as_they_are():
    message = with_integer_cursor(state_message("charges", updated=JAN_1_2026, note="1767225600"))
    assert vars(message.state.stream.stream_state) == {"updated": JAN_1_2026, "note": "1767225600"}


def test_a_cursor_that_is_no_number_is_left_alone():
    message = with_integer_cursor(state_message("charges", updated="soon"))
    assert message.state.stream.stream_state.updated == "soon"


def test_messages_that_are_no_stream_state_pass_unchanged():
    record = AirbyteMessage(type=Type.LOG, log={"level": "INFO", "message": "1767225600"})
    assert with_integer_cursor(record) is record


# --- cursor_fields, is_no_cursor_state -------------------------------------------------------------------------


def test_every_incremental_stream_has_its_cursor_field():
    fields = cursor_fields(SourceStripe(config=make_config()).resolved_manifest)
    assert fields["events"] == "created"
    assert fields["charges"] == "updated"
    assert fields["invoice_line_items"] == "updated"
    assert fields["payment_methods"] == "updated"
    assert "accounts" not in fields and "persons" not in fields


def test_the_cdks_no_cursor_state_is_recognised():
    assert is_no_cursor_state(AirbyteStateBlob(__ab_no_cursor_state_message=True))
    assert is_no_cursor_state({"__ab_no_cursor_state_message": True})
    assert not is_no_cursor_state(AirbyteStateBlob(updated=JAN_1_2026))
    assert not is_no_cursor_state(None)


# --- Airbyte 5.x state through a read --------------------------------------------------------------------------


def events_gte(state: List[AirbyteStateMessage], stream: str) -> int:
    """created[gte] of the events request a read of `stream` with `state` makes, two days after 2026-01-01."""
    with freeze_time("2026-01-03T00:00:00Z", tick=True), requests_mock.Mocker() as mock:
        mock.get(f"{API}/events", [page([])])
        output = run_read([stream], make_config(), sync_mode=SyncMode.incremental, state=state)
        assert not output.errors, error_messages(output)
        paths = {urlsplit(r.url).path for r in mock.request_history}
        assert paths == {"/v1/events"}, paths  # the events path: no list re-read
        [request] = mock.request_history
        return int(parse_qs(urlsplit(request.url).query)["created[gte]"][0])


def test_an_airbyte_5_string_cursor_reads_the_charges_events_from_the_cursor_minus_the_overlap():
    state = StateBuilder().with_stream_state("charges", {"updated": "1767225600"}).build()
    assert events_gte(state, "charges") == JAN_1_2026 - DEFAULT_OVERLAP


def test_an_airbyte_5_per_partition_state_reads_the_invoices_events_from_the_oldest_partition_cursor():
    blob = {
        "states": [partition("in_1", "1767225600"), partition("in_2", "1767300000")],
        "parent_state": {"invoices": {"updated": "1767400000"}},
    }
    state = StateBuilder().with_stream_state("invoice_line_items", blob).build()
    assert events_gte(state, "invoice_line_items") == JAN_1_2026 - DEFAULT_OVERLAP


def test_an_airbyte_5_global_state_reads_the_invoices_events_from_the_global_cursor():
    blob = {"use_global_cursor": True, "state": {"updated": "1767225600"}, "parent_state": {}, "lookback_window": 0}
    state = StateBuilder().with_stream_state("invoice_line_items", blob).build()
    assert events_gte(state, "invoice_line_items") == JAN_1_2026 - DEFAULT_OVERLAP


def test_an_unreadable_state_makes_the_stream_start_over_with_a_warning():
    state = StateBuilder().with_stream_state("charges", {"updated": "garbage"}).build()
    with requests_mock.Mocker() as mock:
        mock.get(f"{API}/charges", [page([{"id": "ch_1", "created": 1767225600}])])
        output = run_read(["charges"], make_config(), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    assert {urlsplit(r.url).path for r in mock.request_history} == {"/v1/charges"}  # the list, not the events
    assert [m.record.data["id"] for m in output.records] == ["ch_1"]
    warnings = [m.log.message for m in output.logs if m.log.level.value == "WARN"]
    assert any("'charges'" in w and "start_date" in w for w in warnings), warnings
    final = dict(vars(output.state_messages[-1].state.stream.stream_state))
    assert type(final["updated"]) is int


def test_per_partition_cursors_with_a_partition_lacking_its_cursor_give_no_cursor():
    state = {"states": [{"partition": {"parent_slice": {}, "invoice": "in_1"}, "cursor": {"updated": "1767300000"}},
                        {"partition": {"parent_slice": {}, "invoice": "in_2"}}]}
    assert flat_cursor(state, "updated") is None
