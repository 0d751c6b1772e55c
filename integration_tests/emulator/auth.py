"""API keys, restricted-key permissions and per-account rate limits."""
from __future__ import annotations

import base64
import threading
import time

from .errors import ApiError, invalid_api_key, no_api_key, no_permission, rate_limited
from .resources import BY_KEY

VALID_PREFIXES = ("sk_test_emulator", "sk_live_emulator", "rk_test_emulator", "rk_live_emulator")

# The permission a restricted key needs to read each resource, as Stripe names it in its permissions reference
# (https://docs.stripe.com/stripe-apps/reference/permissions): the resource's row of the object permissions table,
# or, for persons, external accounts, refunds and early fraud warnings (no row of their own), the permission the
# event permissions table gives their events (`person.created`: connected_account_read, `refund.created`:
# charge_read, …). A child listed under its parent's path (`/v1/invoices/{id}/lines`) needs its parent's. Stripe's
# 403 to a restricted key names it with a `rak_` prefix (`rak_charge_read`).
READ_PERMISSIONS: dict[str, str] = {
    **dict.fromkeys(["accounts", "persons", "external_account_bank_accounts", "external_account_cards"],
                    "connected_account_read"),
    **dict.fromkeys(["application_fees", "application_fees_refunds"], "application_fee_read"),
    "authorizations": "issuing_authorization_read",
    "billing_meters": "billing_meter_read",
    "billing_portal_configurations": "customer_portal_read",
    "cardholders": "issuing_cardholder_read",
    **dict.fromkeys(["cards", "issuing_personalization_designs"], "issuing_card_read"),
    **dict.fromkeys(["charges", "refunds", "early_fraud_warnings"], "charge_read"),
    **dict.fromkeys(["checkout_sessions", "checkout_sessions_line_items"], "checkout_session_read"),
    "coupons": "coupon_read",
    **dict.fromkeys(["credit_notes", "credit_note_line_items"], "credit_note_read"),
    **dict.fromkeys(["customers", "customer_tax_ids", "bank_accounts", "customer_cards",
                     "customer_balance_transactions", "customer_cash_balance_transactions"], "customer_read"),
    "disputes": "dispute_read",
    **dict.fromkeys(["entitlements_features", "entitlements_active_entitlements", "product_features"],
                    "entitlement_read"),
    "events": "event_read",
    "files": "file_read",
    **dict.fromkeys(["invoices", "invoice_line_items", "invoice_items"], "invoice_read"),
    "issuing_disputes": "issuing_dispute_read",
    **dict.fromkeys(["payment_intents", "payment_intent_amount_details_line_items"], "payment_intent_read"),
    **dict.fromkeys(["payment_links", "payment_link_line_items"], "payment_links_read"),
    **dict.fromkeys(["payment_methods", "treasury_payment_methods"], "payment_method_read"),
    "payouts": "payout_read",
    **dict.fromkeys(["plans", "prices"], "plan_read"),
    "products": "product_read",
    "promotion_codes": "promotion_code_read",
    **dict.fromkeys(["quotes", "quote_line_items", "quote_computed_upfront_line_items"], "quote_read"),
    "reporting_report_runs": "report_runs_and_report_types_read",
    "reviews": "review_read",
    "setup_intents": "setup_intent_read",
    "shipping_rates": "shipping_rate_read",
    **dict.fromkeys(["subscriptions", "subscription_items", "subscription_schedule"], "subscription_read"),
    "tax_rates": "tax_rate_read",
    "terminal_configurations": "terminal_configuration_read",
    "terminal_locations": "terminal_location_read",
    "terminal_readers": "terminal_reader_read",
    "top_ups": "top_up_read",
    "transactions": "issuing_transaction_read",
    **dict.fromkeys(["transfers", "transfer_reversals"], "transfer_read"),
    "usage_records": "usage_record_read",
}
# Permissions a restricted key lacks unless configured otherwise (`Auth.allow`).
RESTRICTED_DENY = frozenset({"connected_account_read"})
LIVE_RATE, TEST_RATE, FILES_RATE = 100.0, 25.0, 20.0
# Stripe's 429s say which limiter refused the request (https://docs.stripe.com/rate-limits): `global-rate`,
# `endpoint-rate`, `global-concurrency`, `endpoint-concurrency` or `resource-specific`. Stripe documents no
# `Retry-After` on them, so the emulator sends none.
LIMITED_REASON = "Stripe-Rate-Limited-Reason"
GLOBAL_RATE, GLOBAL_CONCURRENCY = "global-rate", "global-concurrency"


def key_from_header(authorization: str | None) -> str | None:
    """Bearer token, or the user part of HTTP basic auth (Stripe accepts both)."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip() or None
    if scheme == "basic":
        try:
            user = base64.b64decode(value.strip()).decode().partition(":")[0]
        except (ValueError, UnicodeDecodeError):
            return None
        return user or None
    return None


def read_permission(resource_key: str) -> str:
    """The permission Stripe's 403 names for reading a resource (`rak_charge_read`). A resource Stripe's permissions
    reference gives no permission for (balance transactions, Treasury, Identity, capabilities, …) keeps the
    emulator's own name, `rak_<resource>_read`: it is no name of Stripe's."""
    return "rak_" + READ_PERMISSIONS.get(resource_key, f"{resource_key}_read")


class Auth:
    def __init__(self, valid_prefixes=VALID_PREFIXES):
        self.valid_prefixes = tuple(valid_prefixes)
        # key -> set of allowed resource keys (None = default policy)
        self.restricted: dict[str, set[str]] = {}
        # key -> the permissions those resources need (a key allowed invoices may read their lines too, as on Stripe)
        self.granted: dict[str, set[str]] = {}

    def check(self, authorization: str | None) -> str:
        """The API key, or raise 401."""
        key = key_from_header(authorization)
        if key is None:
            raise no_api_key()
        if not key.startswith(self.valid_prefixes):
            raise invalid_api_key(key)
        return key

    def allow(self, key: str, resources) -> None:
        """Configure the resources (stream names) a restricted key may read: it gets the permissions they need, so
        it may also read the other resources needing the same ones."""
        unknown = sorted(set(resources) - set(BY_KEY))
        if unknown:
            raise ValueError(f"unknown resources for a restricted key: {', '.join(unknown)}")
        self.restricted[key] = set(resources)
        self.granted[key] = {read_permission(resource) for resource in resources}

    def authorize(self, key: str, resource_key: str, account: str) -> None:
        """Stripe's 403 naming the missing permission when a restricted key may not read the resource."""
        if not key.startswith("rk_"):
            return
        permission = read_permission(resource_key)
        granted = self.granted.get(key)
        ok = permission in granted if granted is not None else permission.removeprefix("rak_") not in RESTRICTED_DENY
        if not ok:
            raise no_permission(key, account, permission)


def is_live(key: str) -> bool:
    return key.startswith(("sk_live_", "rk_live_"))


class RateLimiter:
    """Token buckets per (account, mode, bucket); capacity = rate so short bursts pass."""

    def __init__(self, enabled: bool = True, live_rate=LIVE_RATE, test_rate=TEST_RATE, files_rate=FILES_RATE):
        self.enabled = enabled
        self.live_rate, self.test_rate, self.files_rate = live_rate, test_rate, files_rate
        self._buckets: dict[tuple, list[float]] = {}
        self._lock = threading.Lock()

    def hit(self, account: str, key: str, path: str) -> None:
        if not self.enabled:
            return
        live = is_live(key)
        files = path.startswith(("/v1/files", "/v1/file_links"))
        rate = self.files_rate if files else (self.live_rate if live else self.test_rate)
        bucket_key = (account, live, files)
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(bucket_key, (rate, now))
            tokens = min(rate, tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[bucket_key] = [tokens, now]
                raise limited(GLOBAL_RATE)
            self._buckets[bucket_key] = [tokens - 1.0, now]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


def limited(reason: str) -> ApiError:
    """Stripe's 429 from one of its limiters: the `rate_limit` error and the limiter named in its header. Stripe's
    documentation quotes no message of its concurrency limiter's own, so every limiter answers the rate limit's."""
    error = rate_limited()
    error.headers = {**error.headers, LIMITED_REASON: reason}
    return error


class ConcurrencyLimiter:
    """Stripe's concurrency limiter, for the whole emulator: beyond `max_in_flight` requests being served at once
    (None: no limit), a request is answered 429 `global-concurrency` (`limited`) instead of being served.

    `lift_after`: the limit holds for that many more requests, then is lifted (a limit lifted mid-run). A request
    counts from when it has been read until its answer is about to be written, a span inside the client's own from
    sending to receiving, so the peak (`peak`; `peak_since_lift`, from the lift on) is never more than the client
    had in flight; refused requests count in the peak (they are in flight too), not against the limit.
    """

    def __init__(self, max_in_flight: int | None = None) -> None:
        self._lock = threading.Lock()
        self.max_in_flight = max_in_flight
        self._lift_after: int | None = None
        self._lifted = False
        self._admitted = 0
        self._in_flight = 0
        self.peak = 0
        self.peak_since_lift = 0

    def configure(self, max_in_flight: int | None, lift_after: int | None = None) -> None:
        """`max_in_flight` None or < 1: no limit."""
        with self._lock:
            self.max_in_flight = max_in_flight if max_in_flight and max_in_flight > 0 else None
            self._lift_after = lift_after if self.max_in_flight is not None else None
            self._lifted = False
            self.peak_since_lift = 0

    def enter(self) -> bool:
        """A request arrives: True when it may be served, False when the limiter refuses it."""
        with self._lock:
            self._in_flight += 1
            if self._lift_after is not None:
                if self._lift_after <= 0:
                    self.max_in_flight, self._lift_after, self._lifted = None, None, True
                else:
                    self._lift_after -= 1
            self.peak = max(self.peak, self._in_flight)
            if self._lifted:
                self.peak_since_lift = max(self.peak_since_lift, self._in_flight)
            if self.max_in_flight is not None and self._admitted >= self.max_in_flight:
                return False
            self._admitted += 1
            return True

    def leave(self, admitted: bool) -> None:
        with self._lock:
            self._in_flight -= 1
            if admitted:
                self._admitted -= 1

    def reset_peaks(self) -> None:
        with self._lock:
            self.peak = self._in_flight
            self.peak_since_lift = self._in_flight if self._lifted else 0
