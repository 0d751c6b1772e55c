"""The small components of the child streams' incremental path: ChildSnapshotTransformation,
NewestChildSnapshotFilter, ParentIdQuery, and `is_deletion` for detached payment methods."""

from __future__ import annotations

import pytest
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.extractors import is_deletion
from source_stripe.components.filters import NewestChildSnapshotFilter
from source_stripe.components.retrievers import ParentIdQuery
from source_stripe.components.transformations import ChildSnapshotTransformation

WINDOW = StreamSlice(partition={}, cursor_slice={"start_time": "100", "end_time": "200"})
OTHER_WINDOW = StreamSlice(partition={}, cursor_slice={"start_time": "200", "end_time": "300"})


# --- ChildSnapshotTransformation -------------------------------------------------------------------------------


def snapshot(record, extra_fields=None, with_slice=True):
    stream_slice = StreamSlice(partition={"parent_id": "in_1"}, cursor_slice={}, extra_fields=extra_fields or {})
    ChildSnapshotTransformation(parameters={}).transform(
        record, config={}, stream_state={}, stream_slice=stream_slice if with_slice else None
    )
    return record


def test_a_child_listed_for_a_parent_event_is_as_of_that_event():
    assert snapshot({"id": "il_1"}, {"updated": 1767225700, "created": 1767000000}) == {
        "id": "il_1",
        "updated": 1767225700,
        "is_deleted": False,
    }


def test_a_child_listed_in_a_full_read_is_as_of_its_parents_creation():
    assert snapshot({"id": "il_1"}, {"created": 1767000000})["updated"] == 1767000000


def test_a_string_time_is_written_as_an_integer():
    assert snapshot({"id": "il_1"}, {"created": "1767000000"})["updated"] == 1767000000


def test_a_child_with_no_time_in_its_slice_has_no_updated_but_exists():
    assert snapshot({"id": "il_1"}) == {"id": "il_1", "updated": None, "is_deleted": False}
    assert snapshot({"id": "il_1"}, with_slice=False) == {"id": "il_1", "updated": None, "is_deleted": False}


def test_stripes_own_fields_of_the_child_are_kept():
    record = snapshot({"id": "il_1", "amount": 500, "invoice": "in_1"}, {"updated": 5})
    assert record["amount"] == 500 and record["invoice"] == "in_1"


# --- NewestChildSnapshotFilter ---------------------------------------------------------------------------------


def card_filter():
    return NewestChildSnapshotFilter(parameters={"event_object": "card", "parent_field": "customer"}, config={})


def kept(record_filter, records, stream_slice=WINDOW):
    return [
        (r["id"], r["updated"])
        for r in record_filter.filter_records(records, stream_state={}, stream_slice=stream_slice)
    ]


def test_only_objects_of_the_streams_kind_are_kept():
    records = [
        {"id": "ba_1", "object": "bank_account", "customer": "cus_1", "updated": 3},
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 2},
        {"id": "src_1", "object": "source", "customer": "cus_1", "updated": 1},
    ]
    assert kept(card_filter(), records) == [("card_1", 2)]


def test_an_object_of_no_parent_is_dropped_unless_it_was_removed():
    record_filter = NewestChildSnapshotFilter(
        parameters={"event_object": "payment_method", "parent_field": "customer"}, config={}
    )
    records = [
        {"id": "pm_1", "object": "payment_method", "customer": None, "is_deleted": False, "updated": 3},
        {"id": "pm_2", "object": "payment_method", "customer": None, "is_deleted": True, "updated": 2},
        {"id": "pm_3", "object": "payment_method", "customer": "cus_1", "is_deleted": False, "updated": 1},
    ]
    assert kept(record_filter, records) == [("pm_2", 2), ("pm_3", 1)]


def test_only_the_newest_snapshot_of_a_child_is_kept_per_window():
    record_filter = card_filter()
    newest_first = [
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 9},
        {"id": "card_1", "object": "card", "customer": "cus_1", "updated": 8},
    ]
    assert kept(record_filter, newest_first) == [("card_1", 9)]
    assert kept(record_filter, [{"id": "card_1", "object": "card", "customer": "cus_1", "updated": 7}]) == []
    assert kept(record_filter, newest_first, OTHER_WINDOW) == [("card_1", 9)]


@pytest.mark.parametrize("parameters", [{}, {"event_object": "card"}, {"parent_field": "customer"}])
def test_the_filter_needs_the_object_kind_and_the_parent_field(parameters):
    with pytest.raises(ValueError, match="event_object"):
        NewestChildSnapshotFilter(parameters=parameters, config={})


# --- ParentIdQuery ---------------------------------------------------------------------------------------------


def test_the_parent_id_goes_into_the_query_under_the_given_name():
    query = ParentIdQuery(name="payout", parameters={})
    stream_slice = StreamSlice(partition={"parent_id": "po_1"}, cursor_slice={})
    assert query.get_request_params(stream_slice=stream_slice) == {"payout": "po_1"}
    assert query.get_request_headers() == {} and query.get_request_body_json() == {}


def test_without_a_parent_nothing_goes_into_the_query():
    query = ParentIdQuery(name="payout", parameters={})
    assert query.get_request_params(stream_slice=None) == {}
    assert query.get_request_params(stream_slice=StreamSlice(partition={}, cursor_slice={})) == {}


# --- is_deletion -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type, deleted",
    [
        ("payment_method.detached", True),
        ("invoice.deleted", True),
        ("customer.source.deleted", True),
        ("customer.subscription.deleted", False),
        ("payment_method.updated", False),
        ("payment_method.attached", False),
    ],
)
def test_a_detached_payment_method_is_gone_like_a_deleted_object(event_type, deleted):
    assert is_deletion(event_type) is deleted
