"""Stripe's errors during a read through the CDK (requests-mock): which fail the read and how, which are retried
or skipped, and that no copy of the API key reaches the output."""

from __future__ import annotations

from helpers import (
    API,
    KEY,
    all_messages_json,
    error_messages,
    make_config,
    one_window_config,
    page,
    record_data,
    requests_to,
    run_read,
    stripe_error,
    warnings_of,
)

UNAUTHORIZED = stripe_error(401, "Invalid API Key provided: sk_test_**************E123")


# --- errors that fail the read ---------------------------------------------------------------------------------


def test_given_a_404_on_a_top_level_stream_when_read_then_the_read_fails(stripe):
    stripe.get(f"{API}/charges", [stripe_error(404, "Unrecognized request URL (GET: /v1/charges).")])
    output = run_read(["charges"], make_config(), expecting_exception=True)
    assert output.errors


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
    config = one_window_config(credentials={"access_token": "rk_test_SECRETVALUE123"})
    output = run_read(["charges", "customers"], config, expecting_exception=True)
    assert [r["id"] for r in record_data(output, "customers")] == ["cus_1", "cus_2", "cus_3"]
    assert record_data(output, "charges") == []
    assert output.errors
    assert any("rak_charge_read" in m and "charges" in m for m in error_messages(output)), error_messages(output)


def test_given_500_with_stripe_should_retry_false_when_read_then_the_stream_fails_without_retrying(stripe, backoff_sleeps):
    stripe.get(
        f"{API}/charges",
        [stripe_error(500, "An unknown error occurred", headers={"Stripe-Should-Retry": "false"}), page([{"id": "ch_1"}])],
    )
    output = run_read(["charges"], one_window_config(), expecting_exception=True)
    assert len(stripe.request_history) == 1
    assert record_data(output) == []
    assert any("Stripe-Should-Retry: false" in m for m in error_messages(output)), error_messages(output)
    assert backoff_sleeps == []


# --- errors that are skipped -----------------------------------------------------------------------------------


def test_given_issuing_not_enabled_when_read_cards_then_no_records_a_warning_and_no_failure(stripe):
    stripe.get(
        f"{API}/issuing/cards",
        [stripe_error(400, "Your account is not set up to use Issuing. Please visit https://dashboard.stripe.com/issuing/overview to get started.")],
    )
    output = run_read(["cards"], make_config())
    assert record_data(output) == []
    assert not output.errors, error_messages(output)
    warnings = warnings_of(output)
    assert any("cards" in w for w in warnings), warnings


# --- errors that are retried -----------------------------------------------------------------------------------


def test_given_429_then_200_when_read_then_records_are_complete_after_a_backoff(stripe, backoff_sleeps):
    stripe.get(f"{API}/charges", [stripe_error(429, "Too many requests"), page([{"id": "ch_1"}, {"id": "ch_2"}])])
    output = run_read(["charges"], one_window_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1", "ch_2"]
    assert not output.errors
    assert len(requests_to(stripe, "charges")) == 2  # the failed answer and its retry (`/v1/account` aside)
    assert backoff_sleeps and all(s >= 1 for s in backoff_sleeps)


def test_given_500_then_200_when_read_then_records_are_complete_after_a_backoff_of_at_least_1s(stripe, backoff_sleeps):
    stripe.get(f"{API}/charges", [stripe_error(500, "An unknown error occurred"), page([{"id": "ch_1"}])])
    output = run_read(["charges"], one_window_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1"]
    assert not output.errors
    assert len(requests_to(stripe, "charges")) == 2  # the failed answer and its retry (`/v1/account` aside)
    assert backoff_sleeps and all(s >= 1 for s in backoff_sleeps)


def test_given_a_truncated_200_then_a_good_page_when_read_then_records_are_complete(stripe, backoff_sleeps):
    stripe.get(
        f"{API}/charges",
        [{"status_code": 200, "text": '{"object": "list", "data": [{"id": "ch_'}, page([{"id": "ch_1"}, {"id": "ch_2"}])],
    )
    output = run_read(["charges"], one_window_config())
    assert [r["id"] for r in record_data(output)] == ["ch_1", "ch_2"]
    assert not output.errors
    assert len(requests_to(stripe, "charges")) == 2  # the failed answer and its retry (`/v1/account` aside)
