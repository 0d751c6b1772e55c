import pytest
from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.transformations import ParentFieldTransformation


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


def test_record_is_unchanged_without_a_slice():
    assert transform({"id": "cnli_1"}, stream_slice=None) == {"id": "cnli_1"}


def test_explicit_parent_field_wins_over_parameters():
    t = ParentFieldTransformation(parameters={"parent_field": "credit_note"}, parent_field="invoice")
    assert transform({"id": "x"}, t, parent_slice("in_1")) == {"id": "x", "invoice": "in_1"}


def test_partition_key_is_configurable():
    t = ParentFieldTransformation(parameters={"parent_field": "customer"}, partition_key="customer_id")
    assert transform({"id": "x"}, t, parent_slice("cus_1", key="customer_id"))["customer"] == "cus_1"


def test_other_fields_are_untouched():
    record = {"id": "x", "amount": 5, "customer": None}
    t = ParentFieldTransformation(parameters={"parent_field": "invoice"})
    assert transform(record, t, parent_slice("in_1")) == {"id": "x", "amount": 5, "customer": None, "invoice": "in_1"}


@pytest.mark.parametrize("parameters", [{}, {"parent_field": None}, {"parent_field": ""}])
def test_a_parent_field_is_required(parameters):
    with pytest.raises(ValueError, match="parent_field"):
        ParentFieldTransformation(parameters=parameters)
