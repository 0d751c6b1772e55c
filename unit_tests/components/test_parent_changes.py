"""ParentChangeLog: a window of parent events (newest first) folded into one change per parent, with the children
those changes took away."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from source_stripe.components.parent_changes import ParentChange, ParentChangeLog, embedded_ids


def event(
    event_id: str,
    parent_id: Optional[str],
    created: int,
    type_: str = "invoice.updated",
    lines: Optional[List[str]] = None,
    previous_lines: Optional[List[str]] = None,
    previous: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """A Stripe invoice event; `lines` embedded in the snapshot, `previous_lines` in `previous_attributes`."""
    snapshot: Dict[str, Any] = {"object": "invoice"}
    if parent_id is not None:
        snapshot["id"] = parent_id
    if lines is not None:
        snapshot["lines"] = {"object": "list", "data": [{"id": line, "object": "line_item"} for line in lines]}
    data: Dict[str, Any] = {"object": snapshot}
    previous_attributes = dict(previous or {})
    if previous_lines is not None:
        previous_attributes["lines"] = {"object": "list", "data": [{"id": line} for line in previous_lines]}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    return {"id": event_id, "object": "event", "type": type_, "created": created, "data": data}


def fold(*events: Dict[str, Any], embedded: Optional[str] = "lines") -> List[ParentChange]:
    log = ParentChangeLog(embedded=embedded)
    for e in events:
        log.add(e)
    return log.changes()


def by_parent(changes: List[ParentChange]) -> Dict[str, ParentChange]:
    return {change.parent_id: change for change in changes}


# --- one change per parent -------------------------------------------------------------------------------------


def test_the_newest_event_of_a_parent_gives_the_time_of_its_change():
    [change] = fold(event("evt_3", "in_1", 300), event("evt_2", "in_1", 200), event("evt_1", "in_1", 100))
    assert change.parent_id == "in_1"
    assert change.at == 300


def test_a_parent_with_several_events_in_the_window_is_one_change():
    changes = fold(
        event("evt_4", "in_1", 400, "invoice.paid"),
        event("evt_3", "in_2", 300),
        event("evt_2", "in_1", 200, "invoice.finalized"),
        event("evt_1", "in_1", 100, "invoice.created"),
    )
    assert [change.parent_id for change in changes] == ["in_1", "in_2"]


def test_changes_come_newest_first_in_the_order_of_each_parents_newest_event():
    changes = fold(
        event("evt_5", "in_c", 500),
        event("evt_4", "in_a", 400),
        event("evt_3", "in_c", 300),
        event("evt_2", "in_b", 200),
        event("evt_1", "in_a", 100),
    )
    assert [(change.parent_id, change.at) for change in changes] == [("in_c", 500), ("in_a", 400), ("in_b", 200)]


def test_events_whose_object_has_no_id_are_skipped():
    upcoming = event("evt_2", None, 200, "invoice.upcoming", lines=["il_preview"])  # the preview invoice: no id
    no_object = {"id": "evt_3", "type": "invoice.updated", "created": 300, "data": {}}
    not_a_mapping = {"id": "evt_4", "type": "invoice.updated", "created": 400, "data": {"object": "in_9"}}
    changes = fold(not_a_mapping, no_object, upcoming, event("evt_1", "in_1", 100))
    assert [change.parent_id for change in changes] == ["in_1"]


def test_only_the_newest_event_says_whether_the_parent_was_deleted():
    deleted_last = fold(event("evt_2", "in_1", 200, "invoice.deleted"), event("evt_1", "in_1", 100, "invoice.created"))
    updated_last = fold(event("evt_2", "in_2", 200, "invoice.updated"), event("evt_1", "in_2", 100, "invoice.created"))
    assert deleted_last[0].deleted is True
    assert updated_last[0].deleted is False


def test_a_canceled_subscription_is_not_a_deleted_parent():
    [change] = fold(event("evt_1", "sub_1", 100, "customer.subscription.deleted"), embedded="items")
    assert change.deleted is False


# --- removed children ------------------------------------------------------------------------------------------


def test_a_deleted_parent_removed_every_child_it_embedded_or_embedded_before():
    changes = fold(
        event("evt_2", "in_1", 200, "invoice.deleted", lines=["il_1", "il_2"]),
        event("evt_1", "in_1", 100, "invoice.updated", lines=["il_1", "il_2"], previous_lines=["il_1", "il_3"]),
    )
    [change] = changes
    assert change.deleted
    assert change.removed_children() == ["il_1", "il_2", "il_3"]


def test_a_deleted_parent_removes_its_children_whatever_the_listing_says():
    [change] = fold(event("evt_1", "in_1", 100, "invoice.deleted", lines=["il_1"]))
    assert change.removed_children(listed=["il_1"]) == ["il_1"]


def test_a_child_in_an_older_events_previous_attributes_and_no_longer_listed_is_removed():
    changes = fold(
        event("evt_2", "in_1", 200, "invoice.finalized", lines=["il_1"]),
        event("evt_1", "in_1", 100, "invoice.updated", lines=["il_1"], previous_lines=["il_1", "il_gone"]),
    )
    [change] = changes
    assert not change.deleted
    assert change.previous == frozenset({"il_1", "il_gone"})
    assert change.removed_children(listed=["il_1"]) == ["il_gone"]


def test_previous_children_of_every_event_in_the_window_are_collected():
    [change] = fold(
        event("evt_3", "in_1", 300, lines=["il_1"], previous_lines=["il_1", "il_b"]),
        event("evt_2", "in_1", 200, lines=["il_1", "il_b"], previous_lines=["il_1", "il_a", "il_b"]),
        event("evt_1", "in_1", 100, lines=["il_1"]),
    )
    assert change.removed_children(listed=["il_1"]) == ["il_a", "il_b"]


def test_a_child_still_listed_is_not_removed():
    [change] = fold(event("evt_1", "in_1", 100, lines=["il_1", "il_2"], previous_lines=["il_1", "il_2"]))
    assert change.removed_children(listed=["il_1", "il_2", "il_new"]) == []


def test_previous_attributes_without_the_embedded_field_remove_nothing():
    [change] = fold(event("evt_1", "in_1", 100, lines=["il_1"], previous={"status": "draft"}))
    assert change.previous == frozenset()
    assert change.removed_children(listed=[]) == []


def test_without_embedded_no_child_is_ever_removed():
    changes = fold(
        event("evt_2", "in_1", 200, "invoice.updated", lines=["il_1"], previous_lines=["il_1", "il_gone"]),
        event("evt_1", "in_2", 100, "invoice.deleted", lines=["il_9"]),
        embedded=None,
    )
    changes = by_parent(changes)
    assert changes["in_1"].embedded == changes["in_1"].previous == frozenset()
    assert changes["in_1"].removed_children(listed=[]) == []
    assert changes["in_2"].deleted
    assert changes["in_2"].removed_children() == []


def test_each_parent_keeps_its_own_children():
    changes = by_parent(
        fold(
            event("evt_2", "in_2", 200, "invoice.deleted", lines=["il_2"]),
            event("evt_1", "in_1", 100, lines=["il_1"], previous_lines=["il_1", "il_x"]),
        )
    )
    assert changes["in_2"].removed_children() == ["il_2"]
    assert changes["in_1"].removed_children(listed=["il_1"]) == ["il_x"]


# --- embedded_ids ----------------------------------------------------------------------------------------------


def test_embedded_ids_are_the_ids_of_the_embedded_list():
    snapshot = {"id": "in_1", "lines": {"object": "list", "data": [{"id": "il_1"}, {"id": "il_2"}], "has_more": False}}
    assert embedded_ids(snapshot, "lines") == ["il_1", "il_2"]


def test_embedded_ids_ignore_a_missing_field_a_field_that_is_no_list_and_children_without_id():
    assert embedded_ids({"id": "in_1"}, "lines") == []
    assert embedded_ids({"id": "in_1", "lines": None}, "lines") == []
    assert embedded_ids({"id": "in_1", "lines": ["il_1"]}, "lines") == []
    assert embedded_ids({"lines": {"data": [{"id": "il_1"}, {"amount": 5}, "il_2", {"id": ""}]}}, "lines") == ["il_1"]
