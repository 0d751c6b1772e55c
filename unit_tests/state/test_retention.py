"""Which saved cursors are older than Stripe keeps events, and the WARN that names them."""

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from airbyte_cdk.models import AirbyteStateBlob, AirbyteStateMessage, AirbyteStateType, AirbyteStreamState, StreamDescriptor

from source_stripe.state.incoming import stream_states
from source_stripe.state.retention import retention_periods, stale_cursor_message, stale_cursors
from source_stripe.source import SourceStripe

NOW = datetime(2026, 1, 31, tzinfo=timezone.utc)
DAYS_AGO = lambda n: str(int((NOW - timedelta(days=n)).timestamp()))  # noqa: E731


def state_message(name, **values):
    return AirbyteStateMessage(
        type=AirbyteStateType.STREAM,
        stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name=name), stream_state=AirbyteStateBlob(**values)),
    )


def test_every_evented_stream_uses_29_days_and_accounts_and_value_lists_are_not_evented():
    periods = retention_periods(SourceStripe(config={"credentials": {"access_token": "sk_test_x"}}).resolved_manifest)
    rows = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yaml").read_text())["streams"]
    evented = {row["$parameters"]["name"] for row in rows if re.search(r"/(evented_|following_child|own_evented)", row["$ref"])}
    assert set(periods) == evented  # object streams, children following their parent, children with own events
    assert set(periods.values()) == {timedelta(days=29)}
    assert "accounts" not in periods and "value_lists" not in periods and "events" not in periods


def test_only_selected_evented_streams_with_an_old_updated_cursor_are_stale():
    states = stream_states([
        state_message("charges", updated=DAYS_AGO(40)),
        state_message("customers", updated=DAYS_AGO(10)),
        state_message("files", created=DAYS_AGO(40)),
        state_message("invoices", updated=DAYS_AGO(40)),
    ])
    periods = {"charges": timedelta(days=29), "customers": timedelta(days=29), "invoices": timedelta(days=29)}
    stale = stale_cursors(periods, states, ["charges", "customers", "files"], now=NOW)
    assert [(name, period.days) for name, _cursor, period in stale] == [("charges", 29)]


def test_the_warning_names_the_stream_and_the_gap():
    cursor = NOW - timedelta(days=40)
    message = stale_cursor_message("charges", cursor, timedelta(days=29), now=NOW)
    assert "'charges'" in message and "40.0 days" in message and "read again" in message
