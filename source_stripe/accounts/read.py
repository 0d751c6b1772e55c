"""What a Connect read shares between the streams the component factory builds."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Set

from source_stripe.accounts.cursors import ONLY, AccountStates
from source_stripe.accounts.directory import AccountDirectory
from source_stripe.accounts.events import AccountEventsPasses, PassReader


@dataclass
class ConnectRead:
    """A Connect read: its accounts (and those Stripe refused), the retention of each object stream's events, the
    streams of Stripe's events, and (built with the streams) each stream's AccountStates and the pass readers."""

    directory: AccountDirectory
    retention: Mapping[str, int]
    reads_all_events: Set[str]
    now: int
    passes: Optional[AccountEventsPasses] = None
    building_path: str = ONLY
    states: Dict[str, AccountStates] = field(default_factory=dict)
    readers: Dict[str, PassReader] = field(default_factory=dict)

    def states_of(self, stream: str, incoming: Mapping[str, Any], emit: Callable[[Dict[str, Any]], None]) -> AccountStates:
        """The stream's AccountStates (one for both paths of an object stream)."""
        if stream not in self.states:
            self.states[stream] = AccountStates(
                stream,
                incoming,
                self.directory,
                emit,
                retention=self.retention.get(stream),
                now=self.now,
                refused=self.directory.refused.__contains__,
                on_account_done=self._account_done,
            )
        return self.states[stream]

    def _account_done(self, account: str, stream: str) -> None:
        if self.passes is not None:
            self.passes.release(account, stream)
