"""One compact cursor per account per stream.

A Connect read covers the platform and every connected account in each stream. The CDK's per-partition cursor keeps
a cursor object per account and stream (O(accounts × streams) memory, a global fallback above 10,000 partitions),
starts a new partition at the newest cursor of all accounts, and writes no state for an account that had no record.
This module keeps what an account needs, one integer:

- `AccountStates` (one per stream): the accounts' incoming cursors, each account's path in this read (its events when
  its cursor is within Stripe's retention, else its list from `start_date`), the windows still open per account, and
  the stream's state `{"platform": …, "accounts": {acct: cursor}, "backfills": {acct: {"until": …, "started": …}}}`.
  An account's cursor moves when all its windows are read: to the end of its windows (everything up to there has
  been read, whether or not it had records), or, for an interrupted list, to when that list began.
- `AccountWindows`: the CDK's Cursor of a stream (or of one path of an object stream): the windows of the accounts on
  its path, the platform's and every account's first window before anyone's second (a big account does not hold the
  workers while the others wait), and the closing of each window in `AccountStates`.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Iterable, List, Mapping, MutableMapping, Optional, Set, Tuple

from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_stripe.accounts.directory import AccountDirectory, account_of, account_partition
from source_stripe.state.cursors import BACKFILL_STARTED, epoch, flat_cursor

logger = logging.getLogger("airbyte")

PLATFORM = "platform"
ACCOUNTS = "accounts"
BACKFILLS = "backfills"
UNTIL = "until"
STARTED = "started"
# The paths of an account in a stream: its events, its list, or the stream's one path (append-only streams).
EVENTS, LIST, ONLY = "events", "list", "only"
# A stream's state is emitted at most this often while it reads (and always at its end): the state of 2,000 accounts
# is ~60 KB, so one per closed window would be gigabytes.
EMIT_EVERY_SECONDS = 5.0
# The WARN naming accounts re-listed for a stale cursor names at most this many.
NAMED_ACCOUNTS = 10

Window = Tuple[int, int]


@dataclass(frozen=True)
class WindowPlan:
    """How a path cuts an account's time into windows (epoch seconds): from `start` (the start date) or the account's
    cursor minus `lookback`, to `end`, in windows of at most `step`; `keys` name the window's bounds in a slice."""

    start: int
    end: int
    step: int
    lookback: int
    keys: Tuple[str, str] = ("start_time", "end_time")

    def windows(self, since: int) -> List[Window]:
        """The windows from `since` to `end`, oldest first, each `[lo, hi]`, one second apart."""
        windows: List[Window] = []
        lo = max(0, since)
        step = max(1, self.step)
        while lo <= self.end:
            hi = min(lo + step - 1, self.end)
            windows.append((lo, hi))
            lo = hi + 1
        return windows


def parse_account_state(blob: Mapping[str, Any]) -> Tuple[Optional[str], Dict[str, int], Dict[str, Dict[str, int]]]:
    """(platform, {account: cursor}, {account: {until, started}}) of a stream's Connect state; a stream state of
    another shape gives (None, {}, {})."""
    accounts = blob.get(ACCOUNTS)
    if not isinstance(accounts, Mapping):
        return None, {}, {}
    cursors = {str(a): c for a, value in accounts.items() if (c := epoch(value)) is not None}
    backfills: Dict[str, Dict[str, int]] = {}
    for account, progress in (blob.get(BACKFILLS) or {}).items():
        if isinstance(progress, Mapping) and epoch(progress.get(UNTIL)) is not None and epoch(progress.get(STARTED)) is not None:
            backfills[str(account)] = {UNTIL: int(progress[UNTIL]), STARTED: int(progress[STARTED])}
    platform = blob.get(PLATFORM)
    return (str(platform) if platform else None), cursors, backfills


def is_account_state(blob: Mapping[str, Any]) -> bool:
    return isinstance(blob.get(ACCOUNTS), Mapping)


class AccountStates:
    """The per-account cursors of one stream in one read (thread-safe: windows close in the CDK's worker threads).

    `incoming`: the stream's state as the read got it: Connect's shape, or a flat cursor (`{"updated": …}`, maybe with
    `backfill_started`), which is the platform's (turning Connect on does not read the platform again).
    `retention`: the seconds Stripe keeps events, for an object stream (None: an append-only stream, one path).
    `emit(state)`: writes the stream's state message.
    """

    def __init__(
        self,
        stream: str,
        incoming: Mapping[str, Any],
        directory: AccountDirectory,
        emit: Callable[[Dict[str, Any]], None],
        retention: Optional[int] = None,
        now: Optional[int] = None,
        refused: Optional[Callable[[str], bool]] = None,
        on_account_done: Optional[Callable[[str, str], None]] = None,
    ) -> None:
        self.stream = stream
        self.directory = directory
        self.retention = retention
        self.now = int(now if now is not None else time.time())
        self._emit = emit
        self._refused = refused or (lambda account: False)
        self._on_account_done = on_account_done
        self._incoming = dict(incoming or {})
        self._cursors: Optional[Dict[str, int]] = None
        self._backfills: Dict[str, Dict[str, int]] = {}
        self._open: Dict[str, Deque[Window]] = {}
        self._closed: Dict[str, Set[int]] = {}
        self._path: Dict[str, str] = {}
        self._ends: Dict[str, int] = {}
        self._platform: Optional[str] = None
        self._lock = threading.RLock()
        self._last_emit = 0.0
        self._dirty = False

    # ---------------------------------------------------------------------------------------------------------------
    # What the read starts from.
    # ---------------------------------------------------------------------------------------------------------------
    def _load(self) -> None:
        if self._cursors is not None:
            return
        platform = self.directory.platform()
        self._platform = platform
        saved_platform, cursors, backfills = parse_account_state(self._incoming)
        if saved_platform is None and self._incoming:  # a flat state: the platform's cursor
            cursor = flat_cursor(self._incoming)
            started = epoch(self._incoming.get(BACKFILL_STARTED))
            if cursor is not None and started is not None:
                backfills = {platform: {UNTIL: cursor, STARTED: started}}
            elif cursor is not None:
                cursors = {platform: cursor}
        self._cursors, self._backfills = cursors, backfills

    def path_of(self, account: str) -> str:
        """`events` for an account whose cursor is within the events' retention, else `list` (a new account, a stale
        cursor, an interrupted list); `only` for an append-only stream."""
        with self._lock:
            self._load()
            if self.retention is None:
                return ONLY
            if account in self._backfills:
                return LIST
            cursor = self._cursors.get(account)  # type: ignore[union-attr]
            return EVENTS if cursor is not None and cursor >= self.now - self.retention else LIST

    def stale_accounts(self, accounts: Iterable[str]) -> List[str]:
        """The accounts among `accounts` with a cursor too old for the events (they re-read their list)."""
        with self._lock:
            self._load()
            return [a for a in accounts if a in self._cursors and a not in self._backfills and self.path_of(a) == LIST]  # type: ignore[operator]

    def since(self, account: str, path: str, plan: WindowPlan) -> int:
        """Where `account`'s windows on `path` begin."""
        with self._lock:
            self._load()
            if path == LIST:
                progress = self._backfills.get(account)
                return progress[UNTIL] + 1 if progress else plan.start
            cursor = self._cursors.get(account)  # type: ignore[union-attr]
            return plan.start if cursor is None else max(0, cursor - plan.lookback)

    def cursor(self, account: str) -> Optional[int]:
        with self._lock:
            self._load()
            return self._cursors.get(account)  # type: ignore[union-attr]

    # ---------------------------------------------------------------------------------------------------------------
    # The read.
    # ---------------------------------------------------------------------------------------------------------------
    def plan(self, account: str, path: str, windows: List[Window], end: int) -> None:
        """Registers every window `account` reads on `path` (before any of them is read)."""
        with self._lock:
            self._load()
            self._path[account] = path
            self._ends[account] = end
            if path == LIST and account not in self._backfills:
                self._backfills[account] = {UNTIL: windows[0][0] - 1, STARTED: end} if windows else {UNTIL: end, STARTED: end}
            if windows:
                self._open[account] = deque(windows)
                self._closed[account] = set()
            else:
                self._done(account)

    def close(self, stream_slice: Mapping[str, Any]) -> None:
        """A window of an account is read: the account's list progress moves, and when it was its last window, its
        cursor (unless Stripe refused the account)."""
        account = account_of(stream_slice)
        bounds = _window_of(stream_slice)
        if account is None or bounds is None:
            return
        with self._lock:
            windows = self._open.get(account)
            if windows is None:
                return
            self._closed[account].add(bounds[1])
            while windows and windows[0][1] in self._closed[account]:
                lo, hi = windows.popleft()
                if self._path.get(account) == LIST and account in self._backfills and not self._refused(account):
                    self._backfills[account][UNTIL] = hi
                    self._dirty = True
            if not windows:
                self._done(account)
            self._maybe_emit()

    def _done(self, account: str) -> None:
        self._open.pop(account, None)
        self._closed.pop(account, None)
        path = self._path.pop(account, ONLY)
        end = self._ends.pop(account)
        if not self._refused(account):
            progress = self._backfills.pop(account, None) if path == LIST else None
            cursor = min(progress[STARTED], end) if progress else end
            previous = self._cursors.get(account)  # type: ignore[union-attr]
            if path == LIST or previous is None or cursor > previous:
                self._cursors[account] = cursor  # type: ignore[index]
            self._dirty = True
        if self._on_account_done is not None:
            self._on_account_done(account, self.stream)

    def state(self) -> Dict[str, Any]:
        with self._lock:
            self._load()
            state: Dict[str, Any] = {PLATFORM: self._platform, ACCOUNTS: dict(self._cursors or {})}
            if self._backfills:
                state[BACKFILLS] = {account: dict(progress) for account, progress in self._backfills.items()}
            return state

    def _maybe_emit(self) -> None:
        if self._dirty and time.monotonic() - self._last_emit >= EMIT_EVERY_SECONDS:
            self.emit()

    def emit(self) -> None:
        with self._lock:
            self._last_emit = time.monotonic()
            self._dirty = False
            self._emit(self.state())


def _window_of(stream_slice: Mapping[str, Any]) -> Optional[Window]:
    cursor_slice = getattr(stream_slice, "cursor_slice", None) or {}
    values = [epoch(value) for value in cursor_slice.values()]
    if len(values) != 2 or values[0] is None or values[1] is None:
        return None
    return values[0], values[1]  # type: ignore[return-value]


class AccountWindows(Cursor):
    """The CDK's cursor (and slicer) of a stream, or of one path of an object stream, in a Connect read.

    `path`: `events` or `list` (the accounts on that path of an object stream), `only` (an append-only stream:
    every account), or None (the cursor of an object stream's two paths together: it slices nothing).
    `plan()`: the path's WindowPlan, evaluated when slicing begins.
    """

    def __init__(
        self,
        states: AccountStates,
        path: Optional[str],
        plan: Callable[[], WindowPlan],
        cursor_field: CursorField,
    ) -> None:
        self.states = states
        self.path = path
        self._plan_of = plan
        self._plan: Optional[WindowPlan] = None
        self._cursor_field = cursor_field

    def plan(self) -> WindowPlan:
        """The path's windows, evaluated once (its end is the read's `now` or `events_until`)."""
        if self._plan is None:
            self._plan = self._plan_of()
        return self._plan

    @property
    def cursor_field(self) -> CursorField:
        return self._cursor_field

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self.states.state()

    def observe(self, record: Record) -> None:
        """Nothing: an account's cursor moves when its windows are read, whatever their records."""

    def close_partition(self, partition: Partition) -> None:
        self.states.close(partition.to_slice())

    def ensure_at_least_one_state_emitted(self) -> None:
        self.states.emit()

    def should_be_synced(self, record: Record) -> bool:
        return True

    def stream_slices(self) -> Iterable[StreamSlice]:
        if self.path is None:
            return
        plan = self.plan()
        directory = self.states.directory
        platform = directory.platform()
        accounts = [account for account in directory.accounts() if self.states.path_of(account) == self.path]
        if self.path == LIST:
            stale = self.states.stale_accounts(accounts)
            if stale:
                logger.warning(stale_accounts_message(self.states.stream, stale, self.states.retention or 0))
        per_account: List[List[StreamSlice]] = []
        for account in accounts:
            windows = plan.windows(self.states.since(account, self.path, plan))
            self.states.plan(account, self.path, windows, plan.end)
            partition = account_partition(account, platform)
            per_account.append(
                [StreamSlice(partition=partition, cursor_slice={plan.keys[0]: str(lo), plan.keys[1]: str(hi)}) for lo, hi in windows]
            )
        # Round robin: every account's first window, then every account's second, ...
        for round_ in itertools.zip_longest(*per_account):
            for stream_slice in round_:
                if stream_slice is not None:
                    yield stream_slice


def stale_accounts_message(stream: str, accounts: List[str], retention: int) -> str:
    named = ", ".join(accounts[:NAMED_ACCOUNTS]) + (f" and {len(accounts) - NAMED_ACCOUNTS} more" if len(accounts) > NAMED_ACCOUNTS else "")
    return (
        f"Stream '{stream}': the cursor of {len(accounts)} account(s) ({named}) is older than Stripe keeps events "
        f"({retention // 86400} days); their list is read again from start_date."
    )


def platform_state(blob: Mapping[str, Any], field: str) -> Dict[str, Any]:
    """The platform's cursor of a Connect state as a flat stream state (`{field: cursor}`, or an interrupted list's
    `{field: until, "backfill_started": started}`), for a read without Connect; {} when it has none."""
    platform, cursors, backfills = parse_account_state(blob)
    if platform is not None and platform in backfills:
        return {field: backfills[platform][UNTIL], BACKFILL_STARTED: backfills[platform][STARTED]}
    if platform is not None and platform in cursors:
        return {field: cursors[platform]}
    return {}
