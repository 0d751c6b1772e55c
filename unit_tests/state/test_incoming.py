"""The state a read is given, made into one flat cursor per stream that the CDK reads: ours, or Airbyte's Stripe
connector 5.x's (string cursors, nested global or per-partition blobs of child streams)."""

from __future__ import annotations

import logging
from typing import Any, Dict, List
from urllib.parse import parse_qs, urlsplit

import requests_mock
from airbyte_cdk.models import AirbyteStateMessage, AirbyteStateType, SyncMode
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from fake_stripe import FakeStripeList
from helpers import API, error_messages, make_config, page, run_read
from source_stripe.source import SourceStripe
from source_stripe.state.incoming import cursor_fields, normalize_input_state, stream_states

JAN_1_2026 = 1767225600  # 2026-01-01T00:00:00Z
DEFAULT_OVERLAP = 60
FIELDS = {"charges": "updated", "invoice_line_items": "updated", "events": "created"}


def partition(invoice: str, cursor: Any) -> Dict[str, Any]:
    return {"partition": {"parent_slice": {}, "invoice": invoice}, "cursor": {"updated": cursor}}


def blobs(messages: List[AirbyteStateMessage]) -> Dict[str, Dict[str, Any]]:
    return {m.stream.stream_descriptor.name: dict(vars(m.stream.stream_state)) for m in messages}


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



def test_an_interrupted_first_read_keeps_its_backfill_start():
    state = StateBuilder().with_stream_state("charges", {"updated": JAN_1_2026, "backfill_started": 1767300000}).build()
    assert blobs(normalize_input_state(state, FIELDS)) == {
        "charges": {"updated": "1767225600", "backfill_started": 1767300000}
    }


def test_stream_states_are_the_stream_messages_blobs():
    state = StateBuilder().with_stream_state("charges", {"updated": JAN_1_2026}).build()
    assert stream_states(state + [AirbyteStateMessage(type=AirbyteStateType.GLOBAL)]) == {"charges": {"updated": JAN_1_2026}}
    assert stream_states(None) == {}


def test_every_incremental_stream_has_its_cursor_field():
    fields = cursor_fields(SourceStripe(config=make_config()).resolved_manifest)
    assert fields["events"] == "created"
    assert fields["charges"] == "updated"
    assert fields["invoice_line_items"] == "updated"
    assert fields["payment_methods"] == "updated"
    assert "accounts" not in fields and "persons" not in fields


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


def test_an_unreadable_state_makes_the_stream_start_over_with_a_warning(stripe):
    state = StateBuilder().with_stream_state("charges", {"updated": "garbage"}).build()
    charges = FakeStripeList([JAN_1_2026], prefix="ch")
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["charges"], make_config(), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    # The list, not the events (`/v1/account` aside: the platform's id, for the records' `account_id`).
    assert {urlsplit(r.url).path for r in stripe.request_history} - {"/v1/account"} == {"/v1/charges"}
    assert [m.record.data["id"] for m in output.records] == ["ch_0"]
    warnings = [m.log.message for m in output.logs if m.log.level.value == "WARN"]
    assert any("'charges'" in w and "start_date" in w for w in warnings), warnings
    final = dict(vars(output.state_messages[-1].state.stream.stream_state))
    assert type(final["updated"]) is int
