"""`check` through the source against a mocked Stripe API (requests-mock): one probe of `/v1/events`, and what
each failure says."""

from __future__ import annotations

import logging

import requests
from airbyte_cdk.models import Status

from helpers import API, KEY, START_TS, make_config, page, params, stripe_error
from source_stripe.source import SourceStripe

UNAUTHORIZED = stripe_error(401, "Invalid API Key provided: sk_test_**************E123")


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
