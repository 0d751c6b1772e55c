"""Which parents an events window changed, and which of their embedded children those changes removed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Iterable, List, Mapping, Optional, Set

from source_stripe.components.extractors import is_deletion


@dataclass(frozen=True)
class ParentChange:
    """The newest change of one parent in a window.

    `at` is the event's time, `deleted` whether it removed the parent, `embedded` the ids of the children its newest
    snapshot embeds and `previous` the ids of the children that the window's events' `previous_attributes` show the
    parent had before (both empty when the log has no `embedded` field).
    """

    parent_id: str
    at: int
    deleted: bool
    embedded: FrozenSet[str] = frozenset()
    previous: FrozenSet[str] = frozenset()

    def removed_children(self, listed: Iterable[str] = ()) -> List[str]:
        """Ids of the children this window took from the parent, given the children now listed under it.

        A deleted parent lost every child it had; a changed one lost those it had before and no longer lists.
        """
        if self.deleted:
            return sorted(self.embedded | self.previous)
        return sorted(self.previous - set(listed))


def embedded_ids(snapshot: Mapping[str, Any], embedded: str) -> List[str]:
    """Ids of the children a parent snapshot embeds in its list field `embedded` (e.g. an invoice's `lines`)."""
    listed = snapshot.get(embedded)
    if not isinstance(listed, Mapping):
        return []
    return [str(child["id"]) for child in listed.get("data") or [] if isinstance(child, Mapping) and child.get("id")]


@dataclass
class ParentChangeLog:
    """Folds a window of parent events (newest first, as `/v1/events` lists them) into one change per parent.

    A parent with several events in the window is one change, at its newest event, so its children are listed once
    per window. With `embedded` set (the parent's field embedding its children: `lines`, `items`, `reversals`), each
    change also carries the children the parent embedded before the window's events changed them (from
    `previous_attributes`), which is the only trace Stripe leaves of a child taken away: such children have no
    events of their own. Memory: a few ids per changed parent, no snapshots.
    """

    embedded: Optional[str] = None
    _order: List[str] = field(default_factory=list)
    _newest: Dict[str, tuple[int, bool, FrozenSet[str]]] = field(default_factory=dict)
    _previous: Dict[str, Set[str]] = field(default_factory=dict)

    def add(self, event: Mapping[str, Any]) -> None:
        data = event.get("data") or {}
        snapshot = data.get("object")
        if not isinstance(snapshot, Mapping) or not snapshot.get("id"):
            return
        parent_id = str(snapshot["id"])
        if self.embedded:
            previous = data.get("previous_attributes") or {}
            if self.embedded in previous:
                self._previous.setdefault(parent_id, set()).update(embedded_ids(previous, self.embedded))
        if parent_id in self._newest:
            return
        embedded = frozenset(embedded_ids(snapshot, self.embedded)) if self.embedded else frozenset()
        self._newest[parent_id] = (int(event.get("created") or 0), is_deletion(str(event.get("type") or "")), embedded)
        self._order.append(parent_id)

    def changes(self) -> List[ParentChange]:
        """One change per parent, newest first."""
        return [
            ParentChange(
                parent_id=parent_id,
                at=self._newest[parent_id][0],
                deleted=self._newest[parent_id][1],
                embedded=self._newest[parent_id][2],
                previous=frozenset(self._previous.get(parent_id, ())),
            )
            for parent_id in self._order
        ]
