"""API keys, restricted-key permissions and per-account rate limits."""
from __future__ import annotations

import base64
import threading
import time

from .errors import invalid_api_key, no_api_key, no_permission, rate_limited

VALID_PREFIXES = ("sk_test_emulator", "sk_live_emulator", "rk_test_emulator", "rk_live_emulator")
# resources a restricted key may not read unless configured otherwise
RESTRICTED_DENY = frozenset({"accounts", "persons", "external_account_bank_accounts", "external_account_cards"})
LIVE_RATE, TEST_RATE, FILES_RATE = 100.0, 25.0, 20.0


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


class Auth:
    def __init__(self, valid_prefixes=VALID_PREFIXES):
        self.valid_prefixes = tuple(valid_prefixes)
        # key -> set of allowed resource keys (None = default policy)
        self.restricted: dict[str, set[str]] = {}

    def check(self, authorization: str | None) -> str:
        """The API key, or raise 401."""
        key = key_from_header(authorization)
        if key is None:
            raise no_api_key()
        if not key.startswith(self.valid_prefixes):
            raise invalid_api_key(key)
        return key

    def allow(self, key: str, resources) -> None:
        """Configure the resources a restricted key may read."""
        self.restricted[key] = set(resources)

    def authorize(self, key: str, resource_key: str, account: str) -> None:
        if not key.startswith("rk_"):
            return
        allowed = self.restricted.get(key)
        ok = resource_key in allowed if allowed is not None else resource_key not in RESTRICTED_DENY
        if not ok:
            raise no_permission(key, account, f"rak_{resource_key}_read")


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
                raise rate_limited()
            self._buckets[bucket_key] = [tokens - 1.0, now]

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()
