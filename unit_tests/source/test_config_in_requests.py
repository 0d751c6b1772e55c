"""How the config shows in every request of a read (requests-mock): the key, `Stripe-Account`, `Stripe-Version`,
the base URL, in Estuary's and Airbyte's config shapes."""

from __future__ import annotations

from helpers import API, KEY, airbyte_config, one_window_config, page, record_data, run_read


def child_read(stripe, config):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}])])
    stripe.get(f"{API}/customers/cus_1/balance_transactions", [page([{"id": "cbtxn_1"}])])
    output = run_read(["customer_balance_transactions"], config)
    # Without `account_id` in the config, the read also asks `GET /v1/account` once (the records' `account_id`); the
    # header checks below cover that request too.
    assert [r.path for r in stripe.request_history if r.path != "/v1/account"] == [
        "/v1/customers",
        "/v1/customers/cus_1/balance_transactions",
    ]
    assert record_data(output)
    return stripe.request_history


def test_given_account_id_when_read_then_every_request_carries_stripe_account(stripe):
    for request in child_read(stripe, one_window_config(account_id="acct_123")):
        assert request.headers["Stripe-Account"] == "acct_123"
        assert "Stripe-Version" not in request.headers


def test_given_api_version_when_read_then_every_request_carries_stripe_version(stripe):
    for request in child_read(stripe, one_window_config(api_version="2025-09-30.clover")):
        assert request.headers["Stripe-Version"] == "2025-09-30.clover"
        assert "Stripe-Account" not in request.headers


def test_given_neither_account_nor_version_when_read_then_neither_header_is_sent(stripe):
    for request in child_read(stripe, one_window_config()):
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
    output = run_read(["charges"], one_window_config(api_base_url="http://127.0.0.1:12111/"))
    assert [r["id"] for r in record_data(output)] == ["ch_1"]
    urls = [request.url for request in stripe.request_history]
    assert any(url.startswith("http://127.0.0.1:12111/v1/charges?") for url in urls), urls
    assert all(url.startswith("http://127.0.0.1:12111/v1/") for url in urls), urls  # `/v1/account` included
