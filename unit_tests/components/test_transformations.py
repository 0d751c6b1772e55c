"""transformations.py: ParentFieldTransformation (a child's parent id), ListedObjectTransformation (a listed object
as a snapshot) and ChildSnapshotTransformation (a listed child as a snapshot)."""

import pytest
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.transformations import (
    ChildSnapshotTransformation,
    ListedObjectTransformation,
    ParentFieldTransformation,
)

# --- ParentFieldTransformation ---------------------------------------------------------------------------------


def parent_slice(parent_id="cn_1", key="parent_id"):
    return StreamSlice(partition={key: parent_id}, cursor_slice={})


def transform(record, transformation=None, stream_slice=None):
    transformation = transformation or ParentFieldTransformation(parameters={"parent_field": "credit_note"})
    transformation.transform(record, config={}, stream_state={}, stream_slice=stream_slice)
    return record


def test_missing_parent_field_is_set_to_the_parent_id():
    assert transform({"id": "cnli_1"}, stream_slice=parent_slice()) == {"id": "cnli_1", "credit_note": "cn_1"}


def test_null_parent_field_is_set_to_the_parent_id():
    assert transform({"id": "cnli_1", "credit_note": None}, stream_slice=parent_slice())["credit_note"] == "cn_1"


def test_parent_field_from_stripe_is_kept():
    assert transform({"id": "cnli_1", "credit_note": "cn_other"}, stream_slice=parent_slice())["credit_note"] == "cn_other"


def test_a_record_without_a_parent_slice_is_unchanged():
    assert transform({"id": "cnli_1"}, stream_slice=None) == {"id": "cnli_1"}


def test_explicit_parent_field_wins_over_parameters():
    t = ParentFieldTransformation(parameters={"parent_field": "credit_note"}, parent_field="invoice")
    assert transform({"id": "x"}, t, parent_slice("in_1")) == {"id": "x", "invoice": "in_1"}


def test_partition_key_is_configurable():
    t = ParentFieldTransformation(parameters={"parent_field": "customer"}, partition_key="customer_id")
    assert transform({"id": "x"}, t, parent_slice("cus_1", key="customer_id"))["customer"] == "cus_1"


def test_fields_other_than_the_parent_field_are_untouched():
    record = {"id": "x", "amount": 5, "customer": None}
    t = ParentFieldTransformation(parameters={"parent_field": "invoice"})
    assert transform(record, t, parent_slice("in_1")) == {"id": "x", "amount": 5, "customer": None, "invoice": "in_1"}


@pytest.mark.parametrize("parameters", [{}, {"parent_field": None}, {"parent_field": ""}])
def test_a_parent_field_is_required(parameters):
    with pytest.raises(ValueError, match="parent_field"):
        ParentFieldTransformation(parameters=parameters)


# --- ListedObjectTransformation --------------------------------------------------------------------------------


def listed(record, stream_slice=None):
    ListedObjectTransformation(parameters={}).transform(record, stream_slice=stream_slice)
    return record


def test_a_listed_object_is_updated_at_its_creation_and_not_deleted():
    assert listed({"id": "ch_1", "created": 42}) == {"id": "ch_1", "created": 42, "updated": 42, "is_deleted": False}


def test_an_object_without_created_is_updated_at_the_end_of_its_window():
    window = StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "1700000000"})
    assert listed({"id": "plink_1"}, window)["updated"] == 1700000000


def test_an_object_without_created_nor_window_has_updated_none():
    assert listed({"id": "plink_1"})["updated"] is None


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


def test_a_string_time_of_the_slice_is_written_as_an_integer():
    assert snapshot({"id": "il_1"}, {"created": "1767000000"})["updated"] == 1767000000


def test_a_child_with_no_time_in_its_slice_has_no_updated_but_exists():
    assert snapshot({"id": "il_1"}) == {"id": "il_1", "updated": None, "is_deleted": False}
    assert snapshot({"id": "il_1"}, with_slice=False) == {"id": "il_1", "updated": None, "is_deleted": False}


def test_stripes_own_fields_of_the_child_are_kept():
    record = snapshot({"id": "il_1", "amount": 500, "invoice": "in_1"}, {"updated": 5})
    assert record["amount"] == 500 and record["invoice"] == "in_1"
