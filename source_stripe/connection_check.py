"""`check`'s connection test: one direct request, without retries, that tells a bad key, a missing permission and an
unreachable host apart, fast."""

from __future__ import annotations

from typing import Any, Mapping, Optional

import requests

from source_stripe.permissions import api_base, missing_permission, response_error_message, stripe_headers

CHECK_PATH = "/v1/events"
CHECK_TIMEOUT_SECONDS = 15


def connection_problem(config: Mapping[str, Any], session: Optional[requests.Session] = None) -> Optional[str]:
    """Returns None when Stripe lets the key list events, else a message for the user (never containing the key)."""
    base = api_base(config)
    http = session or requests.Session()
    try:
        response = http.get(
            base + CHECK_PATH, params={"limit": 1}, headers=stripe_headers(config), timeout=CHECK_TIMEOUT_SECONDS
        )
    except requests.RequestException as error:
        return f"Cannot reach the Stripe API at {base}: {type(error).__name__}. Check api_base_url and the network."
    if response.status_code == 401:
        return (
            "Stripe rejected the API key (HTTP 401 Unauthorized). Check that credentials.access_token is a valid, "
            "unrevoked secret (sk_) or restricted (rk_) key."
        )
    if response.status_code == 403:
        return _refusal(missing_permission(response_error_message(response)))
    if response.status_code >= 400 and response.status_code != 429:
        return f"Stripe answered HTTP {response.status_code} to {CHECK_PATH}; check api_base_url and account_id."
    return None


def _refusal(permission: Optional[str]) -> str:
    if permission:
        return (
            f"Stripe refused to list events (HTTP 403): the restricted API key lacks the '{permission}' permission. "
            f"The connector reads {CHECK_PATH} to check the connection and in every incremental sync: give the key "
            "read access to Events in the Stripe dashboard (Developers > API keys), and to each resource to sync."
        )
    return (
        "Stripe accepted the key but refused to list events (HTTP 403). Restricted keys need read access to "
        "Events and to every selected stream; if account_id is set, the key must have access to that account."
    )
