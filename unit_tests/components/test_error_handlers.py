import logging

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers import HttpResponseFilter
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from helpers import response, stripe_list
from source_stripe.components.error_handlers import StripeErrorHandler


def handler(*filters):
    return StripeErrorHandler(config={}, parameters={"name": "charges"}, response_filters=list(filters) or None)


def ignore_400():
    return HttpResponseFilter(
        action=ResponseAction.IGNORE, http_codes={400}, error_message="Stream '{{ parameters.name }}' is skipped",
        config={}, parameters={"name": "charges"},
    )


def error(status, headers=None):
    return response(status, {"error": {"message": "boom"}}, headers=headers)


def test_200_with_a_json_object_is_success():
    assert handler().interpret_response(response(200, stripe_list([{"id": "ch_1"}]))).response_action == ResponseAction.SUCCESS


def test_200_with_a_truncated_body_is_retried_as_transient():
    resolution = handler().interpret_response(response(200, content=b'{"object": "list", "data": [{"id'))
    assert resolution.response_action == ResponseAction.RETRY
    assert resolution.failure_type == FailureType.transient_error
    assert "not JSON" in resolution.error_message


def test_200_with_a_json_array_is_retried():
    assert handler().interpret_response(response(200, content=b"[]")).response_action == ResponseAction.RETRY


def test_200_body_parse_is_cached_for_the_paginator_and_extractor():
    r = response(200, stripe_list([{"id": "ch_1"}]))
    handler().interpret_response(r)
    assert getattr(r, "_source_stripe_body") == stripe_list([{"id": "ch_1"}])


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_with_stripe_should_retry_false_fails_without_retry_as_a_transient_error(status):
    resolution = handler().interpret_response(error(status, {"Stripe-Should-Retry": "false"}))
    assert resolution.response_action == ResponseAction.FAIL
    assert resolution.failure_type == FailureType.transient_error
    assert str(status) in resolution.error_message
    assert "Stripe-Should-Retry: false" in resolution.error_message


def test_5xx_without_the_header_is_retried():
    assert handler().interpret_response(error(500)).response_action == ResponseAction.RETRY


@pytest.mark.parametrize("status", [400, 409, 500, 503])
def test_stripe_should_retry_true_retries_whatever_the_status(status):
    resolution = handler().interpret_response(error(status, {"Stripe-Should-Retry": "true"}))
    assert resolution.response_action == ResponseAction.RETRY
    assert resolution.failure_type == FailureType.transient_error


def test_400_without_the_header_is_not_retried():
    assert handler().interpret_response(error(400)).response_action == ResponseAction.FAIL


def test_stripe_should_retry_false_on_a_4xx_leaves_the_filters_in_charge():
    resolution = handler(ignore_400()).interpret_response(error(400, {"Stripe-Should-Retry": "false"}))
    assert resolution.response_action == ResponseAction.IGNORE


def test_ignored_response_is_logged_as_a_warning(caplog):
    with caplog.at_level(logging.INFO, logger="airbyte"):
        resolution = handler(ignore_400()).interpret_response(error(400))
    assert resolution.response_action == ResponseAction.IGNORE
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["Stream 'charges' is skipped"]


def test_non_ignored_errors_log_no_warning(caplog):
    with caplog.at_level(logging.INFO, logger="airbyte"):
        handler().interpret_response(error(500))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_connection_error_is_retried():
    resolution = handler().interpret_response(requests.exceptions.ConnectionError("down"))
    assert resolution.response_action == ResponseAction.RETRY


def test_an_ignored_response_names_the_request_it_skipped(caplog):
    response = error(400)
    response.request = requests.Request("GET", "https://api.stripe.com/v1/balance_transactions?payout=po_1").prepare()
    with caplog.at_level(logging.INFO, logger="airbyte"):
        handler(ignore_400()).interpret_response(response)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["Stream 'charges' is skipped Request: GET /v1/balance_transactions?payout=po_1"]
