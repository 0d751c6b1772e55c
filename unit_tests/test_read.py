"""End-to-end reads through the CDK against a mocked Stripe API (requests-mock)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Dict, List
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import requests_mock
from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.state_builder import StateBuilder

from helpers import (
    API,
    KEY,
    START_TS,
    airbyte_config,
    all_messages_json,
    error_messages,
    make_config,
    page,
    record_data,
    run_read,
    stripe_error,
)
from source_stripe.source import SourceStripe

DAY = 86400


def params(request) -> Dict[str, str]:
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def requests_to(mock, path: str) -> List:
    return [r for r in mock.request_history if urlsplit(r.url).path == f"/v1/{path}"]


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def stripe():
    with requests_mock.Mocker() as mock:
        yield mock


# --- pagination ------------------------------------------------------------------------------------------------


def test_given_two_pages_when_read_then_all_records_in_order_and_second_request_starts_after_the_first_page(stripe):
    stripe.get(
        f"{API}/charges",
        [page([{"id": "ch_4"}, {"id": "ch_3"}], has_more=True, url="/v1/charges"), page([{"id": "ch_2"}, {"id": "ch_1"}])],
    )
    output = run_read(["charges"], make_config())
    assert [r["id"] for r in record_data(output)] == ["ch_4", "ch_3", "ch_2", "ch_1"]
    first, second = requests_to(stripe, "charges")
    assert "starting_after" not in params(first)
    assert params(first)["limit"] == "100"
    assert params(second)["starting_after"] == "ch_3"
    assert params(second)["limit"] == "100"
    assert not output.errors


def test_given_an_empty_list_when_read_then_no_records_and_no_error(stripe):
    stripe.get(f"{API}/charges", [page([])])
    output = run_read(["charges"], make_config())
    assert record_data(output) == [] and not output.errors
    assert len(stripe.request_history) == 1


# --- created windows -------------------------------------------------------------------------------------------


def event_windows(mock):
    windows = sorted((int(params(r)["created[gte]"]), int(params(r)["created[lte]"])) for r in requests_to(mock, "events"))
    assert windows, "no request to /v1/events"
    return windows


def test_given_slice_range_10_and_start_25_days_ago_when_read_then_contiguous_created_windows_cover_start_to_now(stripe):
    start = (datetime.now(timezone.utc) - timedelta(days=25)).replace(microsecond=0)
    stripe.get(f"{API}/events", [page([])])
    output = run_read(["events"], make_config(start_date=iso(start), slice_range=10), sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    windows = event_windows(stripe)
    start_ts = int(start.timestamp())
    assert [gte for gte, _ in windows] == [start_ts, start_ts + 10 * DAY, start_ts + 20 * DAY]
    for (_, lte), (next_gte, _) in zip(windows, windows[1:]):
        assert next_gte == lte + 1  # contiguous, no overlap, no gap
    assert all(lte - gte < 10 * DAY for gte, lte in windows)
    assert abs(windows[-1][1] - datetime.now(timezone.utc).timestamp()) < 120


def test_given_events_when_read_then_records_and_a_state_at_the_newest_created_are_emitted(stripe):
    start = datetime.now(timezone.utc) - timedelta(days=3)
    created = int(start.timestamp()) + 3600
    stripe.get(f"{API}/events", [page([{"id": "evt_1", "created": created}])])
    output = run_read(["events"], make_config(start_date=iso(start)), sync_mode=SyncMode.incremental)
    assert [r["id"] for r in record_data(output)] == ["evt_1"]
    assert output.state_messages
    state = output.most_recent_state.stream_state.__dict__
    assert int(state["created"]) == created


def test_given_a_created_state_when_incremental_read_then_first_window_starts_at_the_cursor(stripe):
    cursor = int((datetime.now(timezone.utc) - timedelta(days=5)).timestamp())
    stripe.get(f"{API}/events", [page([])])
    state = StateBuilder().with_stream_state("events", {"created": cursor}).build()
    output = run_read(["events"], make_config(), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    first_gte = event_windows(stripe)[0][0]
    assert cursor <= first_gte <= cursor + 1
    assert first_gte > START_TS


def test_given_a_created_state_and_lookback_when_incremental_read_then_first_window_moves_back_by_the_lookback(stripe):
    cursor = int((datetime.now(timezone.utc) - timedelta(days=5)).timestamp())
    stripe.get(f"{API}/events", [page([])])
    state = StateBuilder().with_stream_state("events", {"created": cursor}).build()
    output = run_read(["events"], make_config(lookback_window_days=2), sync_mode=SyncMode.incremental, state=state)
    assert not output.errors, error_messages(output)
    first_gte = event_windows(stripe)[0][0]
    assert cursor - 2 * DAY <= first_gte <= cursor - 2 * DAY + 1


# --- request parameters per stream kind ------------------------------------------------------------------------


def test_given_an_object_stream_when_read_then_created_gte_is_the_start_date(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}])])
    run_read(["customers"], make_config())
    [request] = requests_to(stripe, "customers")
    sent = params(request)
    # One `created` window up to the read's start: objects created during the read are left to the events.
    assert abs(int(sent.pop("created[lte]")) - datetime.now(timezone.utc).timestamp()) < 60
    assert sent == {"created[gte]": str(START_TS), "limit": "100"}


def test_given_subscriptions_when_read_then_status_all_is_sent(stripe):
    stripe.get(f"{API}/subscriptions", [page([{"id": "sub_1"}])])
    run_read(["subscriptions"], make_config())
    [request] = requests_to(stripe, "subscriptions")
    assert params(request)["status"] == "all"
    assert params(request)["created[gte]"] == str(START_TS)


def test_given_payment_links_when_read_then_no_created_parameter_is_sent(stripe):
    stripe.get(f"{API}/payment_links", [page([{"id": "plink_1"}])])
    output = run_read(["payment_links"], make_config())
    [request] = requests_to(stripe, "payment_links")
    assert not any(name.startswith("created") for name in params(request))
    assert params(request) == {"limit": "100"}
    assert [r["id"] for r in record_data(output)] == ["plink_1"]


def test_given_bank_accounts_when_read_then_sources_are_filtered_by_object_and_the_parent_request_is_not(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}])])
    stripe.get(f"{API}/customers/cus_1/sources", [page([{"id": "ba_1", "object": "bank_account", "customer": "cus_1"}])])
    stripe.get(f"{API}/customers/cus_2/sources", [page([])])
    output = run_read(["bank_accounts"], make_config())
    assert not output.errors, error_messages(output)
    [parent] = requests_to(stripe, "customers")
    assert "object" not in params(parent)
    children = requests_to(stripe, "customers/cus_1/sources") + requests_to(stripe, "customers/cus_2/sources")
    assert len(children) == 2
    assert all(params(r)["object"] == "bank_account" for r in children)
    assert [r["id"] for r in record_data(output)] == ["ba_1"]


def test_given_no_optional_parameters_when_read_then_no_parameter_is_sent_as_the_text_none(stripe):
    stripe.get(requests_mock.ANY, [page([])])
    run_read(["customers", "payment_links", "quotes", "charges"], make_config())
    assert stripe.request_history
    for request in stripe.request_history:
        assert "None" not in params(request).values(), request.url


# --- child streams ---------------------------------------------------------------------------------------------


def test_given_a_child_without_its_parent_field_when_read_then_the_parent_id_is_added_and_stripes_own_is_kept(stripe):
    stripe.get(f"{API}/credit_notes", [page([{"id": "cn_1"}])])
    stripe.get(f"{API}/credit_notes/cn_1/lines", [page([{"id": "cnli_1"}, {"id": "cnli_2", "credit_note": "cn_other"}])])
    output = run_read(["credit_note_line_items"], make_config())
    assert not output.errors, error_messages(output)
    records = {r["id"]: r for r in record_data(output)}
    assert records["cnli_1"]["credit_note"] == "cn_1"
    assert records["cnli_2"]["credit_note"] == "cn_other"


def test_given_a_child_stream_that_takes_the_parent_in_the_query_when_read_then_the_parent_id_is_a_parameter(stripe):
    stripe.get(f"{API}/payouts", [page([{"id": "po_1", "created": 1767225600}])])
    stripe.get(f"{API}/balance_transactions", [page([{"id": "txn_1"}])])
    output = run_read(["payout_balance_transactions"], make_config())
    [child] = requests_to(stripe, "balance_transactions")
    assert params(child)["payout"] == "po_1"
    assert record_data(output) == [{"id": "txn_1", "payout": "po_1", "updated": 1767225600, "is_deleted": False}]


def test_given_a_deleted_parent_when_read_then_the_other_parents_children_are_emitted_and_the_read_succeeds(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}])])
    stripe.get(f"{API}/customers/cus_1/balance_transactions", [page([{"id": "cbtxn_1", "customer": "cus_1"}])])
    stripe.get(
        f"{API}/customers/cus_2/balance_transactions",
        [stripe_error(404, "No such customer: 'cus_2'", code="resource_missing")],
    )
    output = run_read(["customer_balance_transactions"], make_config())
    assert [r["id"] for r in record_data(output)] == ["cbtxn_1"]
    assert not output.errors, error_messages(output)


def test_given_a_404_on_a_top_level_stream_when_read_then_the_read_fails(stripe):
    stripe.get(f"{API}/charges", [stripe_error(404, "Unrecognized request URL (GET: /v1/charges).")])
    output = run_read(["charges"], make_config(), expecting_exception=True)
    assert output.errors


# --- errors ----------------------------------------------------------------------------------------------------


UNAUTHORIZED = stripe_error(401, "Invalid API Key provided: sk_test_**************E123")


def test_given_401_when_read_then_the_read_fails_with_a_config_error_saying_the_key_is_invalid(stripe):
    stripe.get(f"{API}/charges", [UNAUTHORIZED])
    output = run_read(["charges"], make_config(), expecting_exception=True)
    assert output.errors
    config_errors = [m.trace.error for m in output.errors if m.trace.error.failure_type.value == "config_error"]
    assert any("rejected the API key" in e.message for e in config_errors), error_messages(output)
    assert record_data(output) == []


def test_given_401_when_read_then_the_key_appears_nowhere_in_the_output(stripe):
    stripe.get(f"{API}/charges", [UNAUTHORIZED])
    output = run_read(["charges"], make_config(), expecting_exception=True)
    assert output.errors
    text = all_messages_json(output)
    assert KEY not in text
    assert "SECRETVALUE" not in text


def test_given_401_when_read_then_no_masked_copy_of_the_key_appears_in_the_output(stripe):
    stripe.get(f"{API}/charges", [UNAUTHORIZED])
    output = run_read(["charges"], make_config(), expecting_exception=True)
    text = all_messages_json(output)
    leaks = [line[:300] for line in text.splitlines() if "E123" in line]
    assert not leaks, f"{len(leaks)} messages carry Stripe's masked key, e.g. {leaks[0]}"


def test_given_a_restricted_key_without_charge_read_when_read_then_customers_are_emitted_and_the_error_names_the_permission(stripe):
    stripe.get(
        f"{API}/charges",
        [
            stripe_error(
                403,
                "The provided key 'rk_test_*****E123' does not have the required permissions for this endpoint on "
                "account 'acct_1'. Having the 'rak_charge_read' permission would allow this request to continue.",
            )
        ],
    )
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}], has_more=True), page([{"id": "cus_3"}])])
    config = make_config(credentials={"access_token": "rk_test_SECRETVALUE123"})
    output = run_read(["charges", "customers"], config, expecting_exception=True)
    assert [r["id"] for r in record_data(output, "customers")] == ["cus_1", "cus_2", "cus_3"]
    assert record_data(output, "charges") == []
    assert output.errors
    assert any("rak_charge_read" in m and "charges" in m for m in error_messages(output)), error_messages(output)


def test_given_issuing_not_enabled_when_read_cards_then_no_records_a_warning_and_no_failure(stripe):
    stripe.get(
        f"{API}/issuing/cards",
        [stripe_error(400, "Your account is not set up to use Issuing. Please visit https://dashboard.stripe.com/issuing/overview to get started.")],
    )
    output = run_read(["cards"], make_config())
    assert record_data(output) == []
    assert not output.errors, error_messages(output)
    warnings = [m.log.message for m in output.logs if m.log.level.value == "WARN"]
    assert any("cards" in w for w in warnings), warnings


def test_given_429_then_200_when_read_then_records_are_complete_after_a_backoff(stripe, backoff_sleeps):
    stripe.get(f"{API}/charges", [stripe_error(429, "Too many requests"), page([{"id": "ch_1"}, {"id": "ch_2"}])])
    output = run_read(["charges"], make_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1", "ch_2"]
    assert not output.errors
    assert len(stripe.request_history) == 2
    assert backoff_sleeps and all(s >= 1 for s in backoff_sleeps)


def test_given_500_then_200_when_read_then_records_are_complete_after_a_backoff_of_at_least_1s(stripe, backoff_sleeps):
    stripe.get(f"{API}/charges", [stripe_error(500, "An unknown error occurred"), page([{"id": "ch_1"}])])
    output = run_read(["charges"], make_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1"]
    assert not output.errors
    assert len(stripe.request_history) == 2
    assert backoff_sleeps and all(s >= 1 for s in backoff_sleeps)


def test_given_a_truncated_200_then_a_good_page_when_read_then_records_are_complete(stripe, backoff_sleeps):
    stripe.get(
        f"{API}/charges",
        [{"status_code": 200, "text": '{"object": "list", "data": [{"id": "ch_'}, page([{"id": "ch_1"}, {"id": "ch_2"}])],
    )
    output = run_read(["charges"], make_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1", "ch_2"]
    assert not output.errors
    assert len(stripe.request_history) == 2


def test_given_500_with_stripe_should_retry_false_when_read_then_the_stream_fails_without_retrying(stripe, backoff_sleeps):
    stripe.get(
        f"{API}/charges",
        [stripe_error(500, "An unknown error occurred", headers={"Stripe-Should-Retry": "false"}), page([{"id": "ch_1"}])],
    )
    output = run_read(["charges"], make_config(), expecting_exception=True)
    assert len(stripe.request_history) == 1
    assert record_data(output) == []
    assert any("Stripe-Should-Retry: false" in m for m in error_messages(output)), error_messages(output)
    assert backoff_sleeps == []


# --- headers ---------------------------------------------------------------------------------------------------


def child_read(stripe, config):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}])])
    stripe.get(f"{API}/customers/cus_1/balance_transactions", [page([{"id": "cbtxn_1"}])])
    output = run_read(["customer_balance_transactions"], config)
    assert len(stripe.request_history) == 2
    assert record_data(output)
    return stripe.request_history


def test_given_account_id_when_read_then_every_request_carries_stripe_account(stripe):
    for request in child_read(stripe, make_config(account_id="acct_123")):
        assert request.headers["Stripe-Account"] == "acct_123"
        assert "Stripe-Version" not in request.headers


def test_given_api_version_when_read_then_every_request_carries_stripe_version(stripe):
    for request in child_read(stripe, make_config(api_version="2025-09-30.clover")):
        assert request.headers["Stripe-Version"] == "2025-09-30.clover"
        assert "Stripe-Account" not in request.headers


def test_given_neither_account_nor_version_when_read_then_neither_header_is_sent(stripe):
    for request in child_read(stripe, make_config()):
        assert "Stripe-Account" not in request.headers
        assert "Stripe-Version" not in request.headers
        assert request.headers["Authorization"] == f"Bearer {KEY}"


def test_given_an_airbyte_config_when_read_then_client_secret_authenticates_and_account_id_is_sent(stripe):
    stripe.get(f"{API}/charges", [page([{"id": "ch_1"}])])
    output = run_read(["charges"], airbyte_config(account_id="acct_9", num_workers=2))
    assert {r["id"] for r in record_data(output)} == {"ch_1"}  # one answer per `slice_range` window
    assert stripe.request_history
    for request in stripe.request_history:
        assert request.headers["Authorization"] == f"Bearer {KEY}"
        assert request.headers["Stripe-Account"] == "acct_9"


def test_given_an_api_base_url_when_read_then_requests_go_there_under_v1(stripe):
    stripe.get("http://127.0.0.1:12111/v1/charges", [page([{"id": "ch_1"}])])
    output = run_read(["charges"], make_config(api_base_url="http://127.0.0.1:12111/"))
    assert [r["id"] for r in record_data(output)] == ["ch_1"]
    assert stripe.request_history[0].url.startswith("http://127.0.0.1:12111/v1/charges?")


# --- check -----------------------------------------------------------------------------------------------------


def check(config):
    return SourceStripe(config=config).check(logging.getLogger("airbyte"), config)


def test_given_401_when_check_then_failed_saying_the_key_is_invalid(stripe):
    stripe.get(f"{API}/events", [UNAUTHORIZED])
    status = check(make_config())
    assert status.status == Status.FAILED
    assert "rejected the API key" in status.message
    assert KEY not in status.message and "E123" not in status.message
    assert len(stripe.request_history) == 1  # no retries


def test_given_403_when_check_then_failed_saying_access_is_refused(stripe):
    stripe.get(f"{API}/events", [stripe_error(403, "The provided key 'rk_test_***E123' does not have ... 'rak_event_read'")])
    status = check(make_config())
    assert status.status == Status.FAILED
    assert "HTTP 403" in status.message and "E123" not in status.message


def test_given_an_unreachable_api_when_check_then_failed_saying_it_cannot_reach_it(stripe):
    stripe.get(f"{API}/events", exc=requests.exceptions.ConnectionError)
    status = check(make_config())
    assert status.status == Status.FAILED
    assert "Cannot reach the Stripe API at https://api.stripe.com" in status.message


def test_given_an_invalid_config_when_check_then_failed_without_any_request(stripe):
    status = check(make_config(api_base_url="http://example.com"))
    assert status.status == Status.FAILED
    assert "plain http" in status.message
    assert stripe.request_history == []


def test_given_200_when_check_then_succeeded(stripe):
    stripe.get(f"{API}/events", [page([{"id": "evt_1", "created": START_TS + 10}])])
    status = check(make_config())
    assert status.status == Status.SUCCEEDED, status.message
    probe = stripe.request_history[0]
    assert params(probe) == {"limit": "1"}
    assert probe.headers["Authorization"] == f"Bearer {KEY}"
