"""The accounts a read covers."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, List, Mapping, Optional, Set, Tuple

ACCOUNT_ID = "account_id"
# The partition key the requester's `Stripe-Account` header reads (manifest.yaml `definitions.stripe_account`): set for
# a connected account only, so that the platform's own requests carry no header.
STRIPE_ACCOUNT = "stripe_account"
CAPTURE = "capture_connected_accounts"
PAGE_SIZE = 100

# `fetch(path, params)`: the JSON body of `GET /v1/<path>` through the manifest's requester (authentication, retries,
# error handler, the shared rate budget).
Fetch = Callable[[str, Mapping[str, Any]], Mapping[str, Any]]


# The platform's id per API base and key (a hash of both), for the process: a continuous run asks it once, not once
# per poll.
KNOWN_PLATFORMS: Dict[str, str] = {}
# The connected accounts per API base and key, for the process, with when they were listed: a continuous run lists
# them again once the list is ACCOUNTS_REFRESH_SECONDS old, not on every poll (a batch run lists them once anyway).
ACCOUNTS_REFRESH_SECONDS = 300.0
KNOWN_ACCOUNTS: Dict[str, Tuple[float, List[str]]] = {}


class AccountDirectory:
    """The platform's own id and, with `capture_connected_accounts`, the ids of its connected accounts, each asked of
    Stripe once (on first need) and kept for the read.

    `configured_account` (the config's `account_id`, one connected account read instead of the platform) is the one
    account of a read without Connect; it costs no request.
    """

    def __init__(
        self,
        fetch: Fetch,
        capture: bool = False,
        configured_account: Optional[str] = None,
        key: Optional[str] = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._clock = clock
        self.capture = capture
        self._configured = configured_account or None
        self._key = key
        self._platform: Optional[str] = None
        self._accounts: Optional[List[str]] = None
        self._lock = threading.Lock()
        self.requests = 0
        # The connected accounts Stripe refused in this read (manifest.yaml's error handler skips them).
        self.refused: Set[str] = set()
        self._refused_lock = threading.Lock()

    def refuse(self, account: str) -> bool:
        """Notes that Stripe refused `account` in this read; True only the first time (its one WARN is given then)."""
        with self._refused_lock:
            first = account not in self.refused
            self.refused.add(account)
            return first

    def platform(self) -> str:
        """The id of the account the key belongs to (or the configured `account_id`)."""
        with self._lock:
            if self._platform is None:
                known = KNOWN_PLATFORMS.get(self._key) if self._key else None
                self._platform = self._configured or known or self._platform_id()
                if self._key and not self._configured:
                    KNOWN_PLATFORMS[self._key] = self._platform
            return self._platform

    def accounts(self) -> List[str]:
        """[the platform, then every connected account in `/v1/accounts`' order] with Connect; else [the platform]."""
        platform = self.platform()
        with self._lock:
            if self._accounts is None:
                self._accounts = [platform, *self._known_connected()] if self.capture else [platform]
            return self._accounts

    def _platform_id(self) -> str:
        account_id = self._get("account", {}).get("id")
        if not account_id:
            raise RuntimeError("Stripe answered GET /v1/account without the account's id")
        return str(account_id)

    def _known_connected(self) -> List[str]:
        """The connected accounts, listed by an earlier read of this process less than ACCOUNTS_REFRESH_SECONDS ago,
        else now."""
        known = KNOWN_ACCOUNTS.get(self._key) if self._key else None
        if known is not None and self._clock() - known[0] < ACCOUNTS_REFRESH_SECONDS:
            return list(known[1])
        listed_at, connected = self._clock(), self._connected()
        if self._key:
            KNOWN_ACCOUNTS[self._key] = (listed_at, connected)
        return list(connected)

    def _connected(self) -> List[str]:
        ids: List[str] = []
        params: Dict[str, Any] = {"limit": PAGE_SIZE}
        while True:
            body = self._get("accounts", params)
            data = [item for item in body.get("data") or [] if isinstance(item, Mapping) and item.get("id")]
            ids.extend(str(item["id"]) for item in data)
            if not body.get("has_more") or not data:
                return ids
            params = {**params, "starting_after": data[-1]["id"]}

    def _get(self, path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
        self.requests += 1
        return self._fetch(path, params)


_current: Optional[AccountDirectory] = None


def use_directory(directory: Optional[AccountDirectory]) -> None:
    """Makes `directory` the accounts of the process's read (SourceStripe does, when it is made)."""
    global _current
    _current = directory


def current_directory() -> Optional[AccountDirectory]:
    """The accounts of the process's read. Components built by the source's own factory get the directory from it;
    the CDK builds a child's parent stream with a factory of its own (`create_parent_stream_config_with_substream_
    wrapper`), whose components find it here."""
    return _current


def account_partition(account: str, platform: str) -> Dict[str, str]:
    """The partition of `account`'s reads: its id, and `stripe_account` for a connected account."""
    if account == platform:
        return {ACCOUNT_ID: account}
    return {ACCOUNT_ID: account, STRIPE_ACCOUNT: account}


def account_keys(stream_slice: Optional[Any]) -> Dict[str, str]:
    """The account keys of a slice's partition (`account_id`, `stripe_account`), for a slice made from it."""
    partition = getattr(stream_slice, "partition", None) or {}
    return {key: partition[key] for key in (ACCOUNT_ID, STRIPE_ACCOUNT) if partition.get(key)}


def account_of(stream_slice: Optional[Mapping[str, Any]]) -> Optional[str]:
    """The account a slice reads: its own `account_id`, or its parent's (a child's partition), else None."""
    while stream_slice:
        account = stream_slice.get(ACCOUNT_ID)
        if account:
            return str(account)
        stream_slice = stream_slice.get("parent_slice")
    return None
