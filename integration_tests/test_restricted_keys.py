"""Restricted keys (`rk_…`) against the emulator, whose keys hold per-resource permissions and whose 403 names the
missing one as Stripe does (integration_tests/emulator/auth.py): `check` names the events permission it lacks,
`discover` leaves out the streams the key cannot read, and a read fails those streams loudly, naming the permission,
while the others complete. The key appears in no output."""

from __future__ import annotations

import calendar
import time

from integration_tests.connector import configured_catalog, emulator_config, run_connector
from integration_tests.emulator.auth import read_permission
from integration_tests.emulator.resources import BY_KEY, TOP_LEVEL
from integration_tests.truth import all_streams, expected_ids

START_TS = calendar.timegm(time.strptime("2025-01-01T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ"))
# The streams an incremental sync reads through /v1/events: an object stream, both kinds of children, events itself.
EVENTS_READERS = ("charges", "customers", "invoice_line_items", "payment_methods", "events")


def restricted_key(emulator, tail: str, resources) -> str:
    """A restricted key of the emulator that may read `resources` (and whatever needs the same permissions)."""
    key = f"rk_test_emulator_{tail}"
    emulator.settings(restricted_keys={key: list(resources)})
    return key


def config_with(emulator, key: str):
    return emulator_config(emulator.url, credentials={"access_token": key})


def root(stream: str) -> str:
    """The top-level stream whose list a stream is probed by (a child's root parent)."""
    while BY_KEY[stream].parent:
        stream = BY_KEY[stream].parent
    return stream


def errors_by_stream(run):
    by_stream = {}
    for error in run.errors():
        if error.get("stream_descriptor"):
            by_stream.setdefault(error["stream_descriptor"]["name"], []).append(error["message"])
    return by_stream


def assert_no_key_in(run, key: str) -> None:
    output = run.stdout + run.stderr
    assert key not in output and key[-4:] not in output  # nor Stripe's masked copy, which ends with the key's last 4


def test_check_with_a_key_that_cannot_read_events_fails_naming_the_permission(emulator):
    key = restricted_key(emulator, "noeventsK2J5", ["charges", "customers"])
    run = run_connector("check", config_with(emulator, key))
    assert run.returncode == 0, run.stderr
    status = run.connection_status()
    assert status["status"] == "FAILED"
    assert "lacks the 'rak_event_read' permission" in status["message"], status["message"]
    assert_no_key_in(run, key)

    allowed = restricted_key(emulator, "eventsM3N6", ["events"])
    assert run_connector("check", config_with(emulator, allowed)).connection_status()["status"] == "SUCCEEDED"


def test_discover_leaves_out_the_streams_a_restricted_key_cannot_read(emulator, discovered):
    granted = ["events", "charges", "customers", "invoices", "subscriptions", "balance_transactions"]
    key = restricted_key(emulator, "discoverP8R1", granted)
    permissions = {read_permission(resource) for resource in granted}
    readable = {stream for stream in all_streams() if read_permission(root(stream)) in permissions}
    emulator.reset_stats()

    run = run_connector("discover", config_with(emulator, key))

    assert run.returncode == 0, run.stderr
    catalog = {stream["name"] for stream in run.of_type("CATALOG")[0]["catalog"]["streams"]}
    assert len(discovered) == len(all_streams())  # a secret key discovers every stream
    assert catalog == readable
    assert {"refunds", "invoice_line_items", "subscription_items", "payment_methods"} <= catalog  # same permissions
    [warning] = run.logs("WARN")
    left_out = set(all_streams()) - readable
    assert f"cannot read {len(left_out)} streams" in warning
    for stream in left_out:
        assert f" {stream}" in warning and f"'{read_permission(root(stream))}'" in warning, stream
    stats = emulator.stats()
    assert stats["total"] == len(TOP_LEVEL) and stats["rate_limited"] == 0  # each top-level list once, in the budget
    assert_no_key_in(run, key)


def test_reading_a_stream_the_key_cannot_read_fails_it_naming_the_permission_and_the_others_complete(emulator, discovered):
    key = restricted_key(emulator, "readQ7Z9", ["charges", "customers", "events"])
    refused = {
        "invoices": "rak_invoice_read",  # its own list refused
        "invoice_line_items": "rak_invoice_read",  # its parent's list refused
        "persons": "rak_connected_account_read",  # likewise, Stripe's name for reading accounts
        "payment_methods": "rak_payment_method_read",  # its parent readable, its own list refused
    }
    readable = ("charges", "customers", "customer_tax_ids")
    catalog = configured_catalog({stream: "full_refresh" for stream in (*readable, *refused)}, discovered)

    run = run_connector("read", config_with(emulator, key), catalog)

    assert run.returncode == 1
    for stream in readable:
        assert run.ids(stream) == expected_ids(emulator.store, stream, START_TS), stream
    assert run.ids("customer_tax_ids"), "no tax ids: the test would prove nothing for a readable child"
    errors = errors_by_stream(run)  # each failed stream's own errors
    assert set(errors) == set(refused)
    for stream, permission in refused.items():
        assert run.records.get(stream, []) == [], stream
        assert any(f"lacks the '{permission}' permission" in message for message in errors[stream]), errors[stream]
    assert_no_key_in(run, key)


def test_an_incremental_sync_without_the_events_permission_fails_every_stream_read_through_events(emulator, discovered):
    resources = ["charges", "customers", "invoices", "payment_methods", "events", "balance_transactions"]
    modes = {stream: "incremental" for stream in (*EVENTS_READERS, "balance_transactions")}
    catalog = configured_catalog(modes, discovered)
    first = run_connector("read", config_with(emulator, restricted_key(emulator, "allT5V2", resources)), catalog)
    assert first.returncode == 0, first.stderr
    state = first.final_state()
    cursors = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in state}
    assert set(cursors) == set(modes)
    emulator.store.create("charges", at=int(time.time()) - 5)
    new_transaction = emulator.store.create("balance_transactions", at=int(time.time()) - 5)

    key = restricted_key(emulator, "noeventsW4X8", [resource for resource in resources if resource != "events"])
    second = run_connector("read", config_with(emulator, key), catalog, state)

    assert second.returncode == 1
    errors = errors_by_stream(second)
    assert set(errors) == set(EVENTS_READERS)
    for stream in EVENTS_READERS:
        assert any("'rak_event_read'" in message for message in errors[stream]), errors[stream]
        assert second.records.get(stream, []) == [], stream
    # the streams that failed keep their cursor; the `created` list needs no events and completes
    moved = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"] for s in second.states}
    assert all(moved[stream] == cursors[stream] for stream in EVENTS_READERS if stream in moved), moved
    assert new_transaction["id"] in second.ids("balance_transactions")
    assert_no_key_in(second, key)
