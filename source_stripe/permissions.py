"""What a restricted key (`rk_…`) may read.

A restricted key reads only the resources it was granted in the Stripe dashboard
(https://docs.stripe.com/keys/restricted-api-keys); any other request gets a 403 invalid request error naming the
permission it lacks: "… Having the 'rak_charge_read' permission would allow this request to continue." A secret
key (`sk_…`) reads everything.

- `missing_permission`: the permission a Stripe error message names, if any (never the key it also quotes, masked).
- `probe_targets`: the one list each stream's readability is judged by: its own list path with `limit=1`, or, for
  a child, its root parent's list (a child's own list needs a parent id).
- `PermissionProbe`: sends those requests, each distinct one once, several at once within the rate budget, and
  returns the streams Stripe refused, each with the permission Stripe named. Any other failure (network, 5xx, 429,
  a product not enabled, a 403 naming no permission) counts as readable: the stream stays, and a read says why.
  After a network failure the probes not sent yet are skipped (their streams stay), so an unreachable Stripe costs
  one timeout, not one per list.
- `RestrictedCatalog`: the discovered catalog without the refused streams, and the one WARN saying which and why.
"""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Collection, Dict, Iterable, List, Mapping, Optional, Tuple

import requests
from airbyte_cdk.models import AirbyteCatalog, SyncMode

from source_stripe.config import access_token
from source_stripe.manifest import row_name

PERMISSION = re.compile(r"'(rak_[a-z0-9_]+)'")
EVENTS_PERMISSION = "rak_event_read"
PROBE_TIMEOUT_SECONDS = 15
DEFAULT_WORKERS = 10
# Stripe's request rate limits by mode (https://docs.stripe.com/rate-limits), as manifest.yaml's api_budget.
LIVE_RATE, TEST_RATE = 100, 25


def missing_permission(error_message: str) -> Optional[str]:
    """The `rak_…` permission a Stripe error message names, or None."""
    found = PERMISSION.search(error_message or "")
    return found.group(1) if found else None


def is_restricted_key(config: Mapping[str, Any]) -> bool:
    return access_token(config).startswith("rk_")


def stripe_headers(config: Mapping[str, Any]) -> Dict[str, str]:
    """The headers of every request of the connector's own (check, discover's probes): the key, and the account and
    API version the config names."""
    headers = {"Authorization": f"Bearer {access_token(config)}"}
    if config.get("account_id"):
        headers["Stripe-Account"] = str(config["account_id"])
    if config.get("api_version"):
        headers["Stripe-Version"] = str(config["api_version"])
    return headers


def api_base(config: Mapping[str, Any]) -> str:
    return (config.get("api_base_url") or "https://api.stripe.com").rstrip("/")


@dataclass(frozen=True)
class ProbeTarget:
    """A list request: `GET /v1/<path>` with the row's query and `limit=1`. `via` names the stream whose list it is
    when that is not the stream's own (a child's root parent)."""

    path: str
    query: Tuple[Tuple[str, str], ...] = ()
    via: Optional[str] = None

    @property
    def request(self) -> Tuple[str, Tuple[Tuple[str, str], ...]]:
        """What is sent: two streams with the same request share one probe."""
        return self.path, self.query

    def params(self) -> Dict[str, str]:
        return {**dict(self.query), "limit": "1"}


def probe_targets(streams: Iterable[Mapping[str, Any]]) -> Dict[str, ProbeTarget]:
    """{stream: the list its probe reads} for manifest stream rows (linked or resolved: their `$parameters` name
    `path`, `query` and, for a child, `parent`)."""
    rows = {row_name(stream): stream.get("$parameters") or {} for stream in streams}
    targets: Dict[str, ProbeTarget] = {}
    for name in rows:
        root, seen = name, {name}
        while rows[root].get("parent") in rows and rows[root]["parent"] not in seen:
            root = rows[root]["parent"]
            seen.add(root)
        parameters = rows[root]
        query = tuple(sorted((str(key), str(value)) for key, value in (parameters.get("query") or {}).items()))
        targets[name] = ProbeTarget(str(parameters["path"]), query, via=root if root != name else None)
    return targets


@dataclass(frozen=True)
class Refusal:
    """Stripe refused `stream`'s list (or, with `via`, its parent's list) naming `permission`."""

    stream: str
    permission: str
    via: Optional[str] = None

    def describe(self) -> str:
        return f"{self.stream} (through {self.via})" if self.via else self.stream


class RequestPacer:
    """At most `rate` requests a second, whichever thread asks: each `wait` returns at its own time slot."""

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            self._sleep(slot - now)


def probe_rate(config: Mapping[str, Any]) -> float:
    """The connector's rate budget: `call_rate_limit`, else Stripe's limit for the key's mode."""
    if config.get("call_rate_limit"):
        return float(config["call_rate_limit"])
    return LIVE_RATE if access_token(config)[3:7] == "live" else TEST_RATE


class PermissionProbe:
    """Asks Stripe once per distinct list whether the config's key may read it."""

    def __init__(
        self,
        config: Mapping[str, Any],
        session: Optional[requests.Session] = None,
        pacer: Optional[RequestPacer] = None,
    ) -> None:
        self._base = api_base(config) + "/v1/"
        self._headers = stripe_headers(config)
        self._http = session or requests.Session()
        self._pacer = pacer or RequestPacer(probe_rate(config))
        self._workers = int(config.get("num_workers") or DEFAULT_WORKERS)
        self._unreachable = threading.Event()  # after a network failure, the probes not sent yet are not sent
        self._count_lock = threading.Lock()
        self.requests_sent = 0

    def refusals(self, targets: Mapping[str, ProbeTarget]) -> Dict[str, Refusal]:
        """{stream: its refusal} of the streams whose probe Stripe refused naming a permission."""
        requests_by_key = {target.request: target for target in targets.values()}
        if not requests_by_key:
            return {}
        with ThreadPoolExecutor(max_workers=min(self._workers, len(requests_by_key))) as pool:
            answers = dict(zip(requests_by_key, pool.map(self._refused_permission, requests_by_key.values())))
        return {
            stream: Refusal(stream, permission, target.via)
            for stream, target in targets.items()
            if (permission := answers[target.request]) is not None
        }

    def _refused_permission(self, target: ProbeTarget) -> Optional[str]:
        if self._unreachable.is_set():
            return None
        self._pacer.wait()
        with self._count_lock:
            self.requests_sent += 1
        try:
            response = self._http.get(
                self._base + target.path, params=target.params(), headers=self._headers, timeout=PROBE_TIMEOUT_SECONDS
            )
        except requests.RequestException:
            self._unreachable.set()
            return None
        if response.status_code != 403:
            return None
        return missing_permission(response_error_message(response))


def response_error_message(response: requests.Response) -> str:
    """The `error.message` of a Stripe error response ("" when there is none)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    return str(error.get("message") or "") if isinstance(error, dict) else ""


class RestrictedCatalog:
    """The catalog a restricted key can sync: without the streams Stripe refused; without `events`' permission, the
    streams whose incremental syncs read `/v1/events` (`event_readers`) offer full refresh only."""

    def __init__(self, refusals: Mapping[str, Refusal], event_readers: Collection[str]) -> None:
        self.refusals = dict(refusals)
        events_refused = any(refusal.permission == EVENTS_PERMISSION for refusal in refusals.values())
        self.full_refresh_only = set(event_readers) - set(refusals) if events_refused else set()

    def apply(self, catalog: AirbyteCatalog) -> AirbyteCatalog:
        streams = [stream for stream in catalog.streams if stream.name not in self.refusals]
        for stream in streams:
            if stream.name in self.full_refresh_only:
                stream.supported_sync_modes = [SyncMode.full_refresh]
                stream.source_defined_cursor = False
                stream.default_cursor_field = None
        return AirbyteCatalog(streams=streams)

    def warning(self, offered: Collection[str]) -> Optional[str]:
        """One line naming, per missing permission, the streams of `offered` (the catalog's) left out; None when the
        key reads them all."""
        by_permission: Dict[str, List[Refusal]] = {}
        for refusal in sorted(self.refusals.values(), key=lambda refusal: refusal.stream):
            if refusal.stream in offered:
                by_permission.setdefault(refusal.permission, []).append(refusal)
        if not by_permission:
            return None
        count = sum(len(refused) for refused in by_permission.values())
        groups = "; ".join(
            f"'{permission}': " + ", ".join(refusal.describe() for refusal in refused)
            for permission, refused in sorted(by_permission.items())
        )
        message = (
            f"The restricted API key cannot read {count} stream{'s' if count != 1 else ''}, left out of the catalog "
            f"(the permission Stripe said the key lacks, then its streams): {groups}. Grant the key read access to "
            "these resources in the Stripe dashboard and discover again to sync them."
        )
        if self.full_refresh_only & set(offered):
            message += (
                f" Without '{EVENTS_PERMISSION}', the streams that read Stripe's events in incremental syncs offer "
                "full refresh only."
            )
        return message
