"""A restricted key (`rk_…`) through the source, against a mocked Stripe API (requests-mock): `check` names the
permission Stripe says the key lacks to list events, `discover` leaves out the streams the key cannot read, and a
read fails such a stream naming the permission while the others complete. The key is never in any message."""

from __future__ import annotations

import logging
import re

import pytest
from airbyte_cdk.models import Status, SyncMode

from helpers import API, STREAM_COUNT, error_messages, make_config, one_window_config, page, record_data, run_read, stripe_error
from source_stripe.source import SourceStripe

RK = "rk_test_RESTRICTED987"
ANY_LIST = re.compile(f"{API}/.*")
EMPTY_LIST = {"object": "list", "data": [], "has_more": False, "url": "/v1/x"}
# The streams listed under an account (their probe is the accounts list).
ACCOUNT_STREAMS = {"accounts", "account_capabilities", "persons", "external_account_bank_accounts", "external_account_cards"}


def refused(permission: str):
    return stripe_error(
        403,
        "The provided key 'rk_test_*****E987' does not have the required permissions for this endpoint on account "
        f"'acct_1'. Having the '{permission}' permission would allow this request to continue.",
    )


def rk_config(**overrides):
    return make_config(credentials={"access_token": RK}, call_rate_limit=1000, **overrides)


def check(config):
    return SourceStripe(config=config).check(logging.getLogger("airbyte"), config)


def discover(config):
    return {stream.name: stream for stream in SourceStripe(config=config).discover(logging.getLogger("airbyte"), config).streams}


def warnings_in(caplog):
    return [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]


# --- check -----------------------------------------------------------------------------------------------------


def test_check_with_a_key_that_cannot_list_events_fails_naming_the_events_permission(stripe):
    stripe.get(f"{API}/events", [refused("rak_event_read")])
    status = check(rk_config())
    assert status.status == Status.FAILED
    assert "lacks the 'rak_event_read' permission" in status.message and "Events" in status.message
    assert RK not in status.message and "E987" not in status.message
    assert len(stripe.request_history) == 1


def test_check_refused_without_a_permission_named_says_access_was_refused(stripe):
    stripe.get(f"{API}/events", [stripe_error(403, "The provided key does not have access to account 'acct_9'.", code="account_invalid")])
    status = check(rk_config(account_id="acct_9"))
    assert status.status == Status.FAILED
    assert "HTTP 403" in status.message and "account_id" in status.message and "rak_" not in status.message


def test_check_with_a_key_that_can_list_events_succeeds(stripe):
    stripe.get(f"{API}/events", [page([{"id": "evt_1", "created": 1}])] * 2)
    assert check(rk_config()).status == Status.SUCCEEDED


# --- discover --------------------------------------------------------------------------------------------------


def test_discover_with_a_secret_key_probes_nothing_and_offers_every_stream(stripe):
    assert len(discover(make_config())) == STREAM_COUNT
    assert stripe.request_history == []


def test_discover_leaves_out_the_streams_whose_list_stripe_refuses_naming_the_permission(stripe, caplog):
    stripe.get(ANY_LIST, json=EMPTY_LIST)
    stripe.get(f"{API}/accounts", [refused("rak_connected_account_read")])
    stripe.get(f"{API}/charges", [refused("rak_charge_read")])
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        catalog = discover(rk_config())
    assert set(catalog).isdisjoint(ACCOUNT_STREAMS | {"charges"})
    assert len(catalog) == STREAM_COUNT - len(ACCOUNT_STREAMS) - 1
    assert {"customers", "events", "refunds", "payment_methods"} <= set(catalog)
    assert catalog["customers"].supported_sync_modes == [SyncMode.full_refresh, SyncMode.incremental]
    [warning] = warnings_in(caplog)
    assert "cannot read 6 streams" in warning
    assert "'rak_charge_read': charges;" in warning
    assert "'rak_connected_account_read': account_capabilities (through accounts), accounts," in warning
    assert RK not in warning and "E987" not in warning


def test_discover_probes_each_distinct_list_once_with_limit_1(stripe):
    stripe.get(ANY_LIST, json=EMPTY_LIST)
    assert len(discover(rk_config())) == STREAM_COUNT
    paths = [request.path for request in stripe.request_history]
    assert len(paths) == len(set(paths)) and "/v1/customers" in paths and "/v1/events" in paths
    assert not [path for path in paths if "{" in path or "cus_" in path]
    assert all(request.qs.get("limit") == ["1"] for request in stripe.request_history)


@pytest.mark.parametrize("failure", [stripe_error(500, "An unknown error occurred"), stripe_error(429, "Too many requests")])
def test_discover_keeps_a_stream_whose_probe_fails_for_another_reason(stripe, failure, caplog):
    stripe.get(ANY_LIST, json=EMPTY_LIST)
    stripe.get(f"{API}/charges", [failure])
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        catalog = discover(rk_config())
    assert len(catalog) == STREAM_COUNT and "charges" in catalog
    assert warnings_in(caplog) == []


def test_discover_without_the_events_permission_leaves_out_events_and_offers_full_refresh_where_events_are_read(stripe, caplog):
    stripe.get(ANY_LIST, json=EMPTY_LIST)
    stripe.get(f"{API}/events", [refused("rak_event_read")])
    with caplog.at_level(logging.WARNING, logger="airbyte"):
        catalog = discover(rk_config())
    assert "events" not in catalog and len(catalog) == STREAM_COUNT - 1
    for name in ("charges", "invoice_line_items", "payment_methods"):  # an object stream, and both kinds of children
        assert catalog[name].supported_sync_modes == [SyncMode.full_refresh], name
    assert SyncMode.incremental in catalog["balance_transactions"].supported_sync_modes  # `created` lists need no events
    [warning] = warnings_in(caplog)
    assert "'rak_event_read': events." in warning and "full refresh only" in warning


# --- read ------------------------------------------------------------------------------------------------------


def test_reading_a_child_whose_parent_list_is_refused_fails_it_naming_the_permission(stripe):
    stripe.get(f"{API}/invoices", [refused("rak_invoice_read")])
    stripe.get(f"{API}/customers", [page([{"id": "cus_1", "created": 1735689700}])])
    output = run_read(["invoice_line_items", "customers"], one_window_config(credentials={"access_token": RK}), expecting_exception=True)
    assert [record["id"] for record in record_data(output, "customers")] == ["cus_1"]
    assert record_data(output, "invoice_line_items") == []
    failed = [m.trace.error for m in output.errors if m.trace.error.stream_descriptor]
    assert {error.stream_descriptor.name for error in failed} == {"invoice_line_items"}
    assert any("'rak_invoice_read'" in m and "invoice_line_items" in m for m in error_messages(output)), error_messages(output)
    assert "E987" not in " ".join(error_messages(output))
