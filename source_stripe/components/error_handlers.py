"""Stripe-specific error handling on top of the CDK's DefaultErrorHandler."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional, Union

import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction

from source_stripe.accounts.directory import current_directory
from source_stripe.components.response_body import json_body, replace_body
from source_stripe.outage import OUTAGE
from source_stripe.redaction import redact

logger = logging.getLogger("airbyte")

SUCCESS = ErrorResolution(response_action=ResponseAction.SUCCESS)
UNREADABLE_BODY = ErrorResolution(
    response_action=ResponseAction.RETRY,
    failure_type=FailureType.transient_error,
    error_message="Stripe sent a response body that is not JSON (truncated or garbled); retrying.",
)
STRIPE_SAYS_RETRY = ErrorResolution(
    response_action=ResponseAction.RETRY,
    failure_type=FailureType.transient_error,
    error_message="Stripe asked for a retry (Stripe-Should-Retry: true).",
)


@dataclass
class StripeErrorHandler(DefaultErrorHandler):
    """The manifest's `response_filters`, plus three things YAML cannot say:

    - a 200 whose body is not JSON (a truncated or garbled response) is retried, not a failed sync; the parsed body
      is cached for the paginator and the extractor, so a page is parsed once;
    - `Stripe-Should-Retry: true|false` (https://docs.stripe.com/error-low-level#idempotency) overrides the status
      code: `true` retries, `false` stops retrying a 5xx;
    - an IGNOREd response (a product not enabled, a deleted parent, a manual payout) is logged as a WARN, not an
      INFO, naming the request it skipped (`GET /v1/balance_transactions?payout=po_…`: the parent it was for).

        error_handler:
          type: CustomErrorHandler
          class_name: source_stripe.components.error_handlers.StripeErrorHandler
          response_filters: [...]
    """

    def interpret_response(
        self, response_or_exception: Optional[Union[requests.Response, Exception]]
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response):
            response = response_or_exception
            if response.status_code == 200:
                try:
                    json_body(response)
                except ValueError:
                    return _unless_outage_too_long(UNREADABLE_BODY)
                OUTAGE.succeeded()
                return SUCCESS
            if response.status_code < 500 and response.status_code != 429:
                OUTAGE.succeeded()  # Stripe answered: whatever this error is, Stripe is up
            _redact_body(response)
            should_retry = response.headers.get("Stripe-Should-Retry")
            if should_retry == "true":
                return _unless_outage_too_long(STRIPE_SAYS_RETRY) if response.status_code >= 500 else STRIPE_SAYS_RETRY
            if should_retry == "false" and response.status_code >= 500:
                return ErrorResolution(  # Stripe failing, not the config: transient (source_stripe/failures.py)
                    response_action=ResponseAction.FAIL,
                    failure_type=FailureType.transient_error,
                    error_message=f"Stripe answered HTTP {response.status_code} and asked not to retry (Stripe-Should-Retry: false).",
                )
        refused = _refused_connected_account(response_or_exception)
        resolution = refused or super().interpret_response(response_or_exception)
        if resolution.response_action == ResponseAction.IGNORE and resolution.error_message:
            first_refusal = _note_refused_account(response_or_exception)
            if refused is None or first_refusal:  # one WARN per refused connected account, however many requests
                logger.warning(resolution.error_message + _skipped_request(response_or_exception))
        if resolution.response_action == ResponseAction.RETRY and _is_outage_signal(response_or_exception):
            return _unless_outage_too_long(resolution)
        return resolution


def _refused_connected_account(response_or_exception: Optional[Union[requests.Response, Exception]]) -> Optional[ErrorResolution]:
    """In a read of every connected account, a connected account that no longer grants the platform access (revoked,
    or deleted): Stripe's 403 `account_invalid` (https://docs.stripe.com/error-codes#account-invalid). That account is
    skipped with a WARN naming it; the others are read. (With the config's one `account_id`, the manifest's filter
    fails the sync: the config names an account the key cannot reach.)"""
    directory = current_directory()
    if directory is None or not directory.capture or not isinstance(response_or_exception, requests.Response):
        return None
    response = response_or_exception
    account = response.request.headers.get("Stripe-Account") if response.request is not None else None
    if response.status_code != 403 or not account:
        return None
    try:
        code = (json_body(response).get("error") or {}).get("code")
    except ValueError:
        return None
    if code != "account_invalid":
        return None
    return ErrorResolution(
        response_action=ResponseAction.IGNORE,
        error_message=f"Connected account {account} no longer grants this platform access (Stripe: account_invalid, "
        "access revoked or the account deleted); it is skipped in this sync and its cursors kept.",
    )


def _note_refused_account(response_or_exception: Optional[Union[requests.Response, Exception]]) -> bool:
    """A 403 skipped for a connected account (`Stripe-Account`): that account's cursors must not move in this read
    (source_stripe/accounts/cursors.py). True unless this read had already noted that account."""
    request = getattr(response_or_exception, "request", None)
    account = request.headers.get("Stripe-Account") if request is not None else None
    directory = current_directory()
    if account and directory is not None and getattr(response_or_exception, "status_code", None) == 403:
        return directory.refuse(str(account))
    return True


def _is_outage_signal(response_or_exception: Optional[Union[requests.Response, Exception]]) -> bool:
    """A connection error, a timeout or a 5xx: Stripe unreachable or failing (a 429 is Stripe answering)."""
    if isinstance(response_or_exception, requests.Response):
        return response_or_exception.status_code >= 500
    return isinstance(response_or_exception, Exception)


def _unless_outage_too_long(retry: ErrorResolution) -> ErrorResolution:
    """`retry`, or once every request has failed for the outage budget (source_stripe/outage.py), a transient
    failure that ends the stream at once."""
    OUTAGE.failed()
    if not OUTAGE.exhausted():
        return retry
    budget = OUTAGE.budget_seconds
    duration = f"{budget / 60:g} minutes" if budget >= 60 else f"{budget:g} seconds"
    return ErrorResolution(
        response_action=ResponseAction.FAIL,
        failure_type=FailureType.transient_error,
        error_message=f"Stripe has been unreachable or failing every request for {duration} "
        f"({retry.error_message or 'a retryable error'}); giving up until the next sync.",
    )


def _redact_body(response: requests.Response) -> None:
    """Stripe's 401/403 messages hold a masked copy of the key (`sk_test_****abcd`); the CDK copies error bodies
    into its logs and TRACE messages, so the copy is removed before anything reads the body."""
    if b"k_" in response.content:
        replace_body(response, redact(response.content.decode("utf-8", "replace")).encode())


def _skipped_request(response_or_exception: Optional[Union[requests.Response, Exception]]) -> str:
    """` Request: GET /v1/…?…`, the request a response answers (its path and query: no key is ever in them)."""
    request = getattr(response_or_exception, "request", None)
    return f" Request: {request.method} {request.path_url}" if request is not None else ""
