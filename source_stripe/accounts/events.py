"""One events pass per account.

A connected account's events are its own (`/v1/events` with its `Stripe-Account`), so the one pass of a read
(components/events_pass.py) becomes one pass per account: on the first events request for an account, its events
since the oldest events-path cursor of that account (minus the overlap) are read once and answer every stream's
events requests for that account. A pass is dropped as soon as every stream reading that account's events has read
it, so memory holds the passes of the accounts being read, not of every account.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Dict, FrozenSet, Iterable, Mapping, Optional, Set

import requests

from source_stripe.accounts.cursors import EVENTS, ONLY, AccountWindows
from source_stripe.accounts.directory import account_of
from source_stripe.components.events_pass import EventsPass, PassServedRequester, ServedEvents

# `fetch(account, params)`: one `/v1/events` request for `account` with exactly `params`.
AccountFetch = Callable[[str, Mapping[str, Any]], Any]


class AccountEventsPasses:
    """The events passes of a Connect read, one per account, made on first need and dropped when read by all.

    `readers`: {stream: its PassReader} for every stream answering from the passes;
    `types`: the union of their event types (None: every type); `until`: the read's `events_until`.
    """

    def __init__(
        self,
        readers: Dict[str, "PassReader"],
        types: Optional[Iterable[str]],
        until: int,
        fetch: AccountFetch,
        served_before: Optional[ServedEvents] = None,
    ) -> None:
        self.readers = readers  # filled as the streams are built
        self.types: Optional[FrozenSet[str]] = frozenset(types) if types is not None else None
        self.until = until
        self._fetch = fetch
        self._served_before = served_before
        self._served_dropped = ServedEvents()
        self._passes: Dict[str, EventsPass] = {}
        self._waiting: Dict[str, Set[str]] = {}
        self._finished: Set[str] = set()
        self._lock = threading.Lock()
        self.requests = 0
        self.made = 0

    def for_account(self, account: str) -> Optional[EventsPass]:
        with self._lock:
            events_pass = self._passes.get(account)
            if events_pass is not None or account in self._finished:
                return events_pass
        # Outside the lock: a stream's cursors take their own lock, and call `release` holding it.
        starts = {name: reader.start(account) for name, reader in self.readers.items()}
        readers = {name for name, start in starts.items() if start is not None}
        if not readers:
            return None
        with self._lock:
            events_pass = self._passes.get(account)
            if events_pass is not None or account in self._finished:
                return events_pass
            since = max(0, min(starts[name] or 0 for name in readers))
            events_pass = EventsPass(types=self.types, since=since, until=self.until, served_before=self._served_before)
            events_pass.attach(lambda params, account=account: self._fetch(account, params))
            self._passes[account] = events_pass
            self._waiting[account] = readers
            self.made += 1
            return events_pass

    def release(self, account: str, stream: str) -> None:
        """`stream` has read all it reads of `account`: its pass is dropped once no stream still reads it."""
        with self._lock:
            waiting = self._waiting.get(account)
            if waiting is None:
                return
            waiting.discard(stream)
            if not waiting:
                dropped = self._passes.pop(account, None)
                self._waiting.pop(account, None)
                self._finished.add(account)
                if dropped is not None:
                    self.requests += dropped.requests
                    self._served_dropped.merge(dropped.served_now)

    @property
    def served_now(self) -> ServedEvents:
        """The events the passes of this read answered, per stream (event ids are unique across accounts): a
        continuous run leaves them out of its next read's answers."""
        with self._lock:
            served = ServedEvents()
            served.merge(self._served_dropped)
            for events_pass in self._passes.values():
                served.merge(events_pass.served_now)
            return served

    @property
    def held(self) -> int:
        """Passes in memory now."""
        return len(self._passes)


class PassReader:
    """A stream answered from the passes (the cursor of its events path, or of the stream of events itself): where
    its window of an account's events begins, or None when it reads no events of that account from a cursor."""

    def __init__(self, windows: AccountWindows) -> None:
        self.windows = windows

    def start(self, account: str) -> Optional[int]:
        states = self.windows.states
        if states.path_of(account) not in (EVENTS, ONLY) or states.cursor(account) is None:
            return None
        return states.since(account, EVENTS, self.windows.plan())


class AccountPassServedRequester(PassServedRequester):
    """PassServedRequester asking the pass of the slice's account."""

    def __init__(self, requester: Any, passes: AccountEventsPasses, stream: str) -> None:
        super().__init__(requester, None, stream)  # type: ignore[arg-type]
        self._passes = passes

    def send_request(self, *args: Any, **kwargs: Any) -> Optional[requests.Response]:
        account = account_of(kwargs.get("stream_slice"))
        events_pass = self._passes.for_account(account) if account else None
        if events_pass is not None and not args:
            params = self._query(kwargs)
            if params is not None:
                response = events_pass.answer(params, self._stream)
                if response is not None:
                    return response
        return self._requester.send_request(*args, **kwargs)
