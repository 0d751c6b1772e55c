"""extractors.py: ListDataExtractor (a list page's objects), `is_preview` (an event object that is no stored object)
and `is_deletion` (which event types say the object is gone)."""

import pytest

from helpers import response, stripe_list
from source_stripe.components.extractors import ListDataExtractor, is_deletion, is_preview
from source_stripe.components.response_body import json_body

# --- ListDataExtractor -----------------------------------------------------------------------------------------


def extract(body=None, content=None):
    return list(ListDataExtractor(parameters={}).extract_records(response(body=body, content=content)))


def test_records_are_the_data_array_in_order():
    objects = [{"id": "ch_3"}, {"id": "ch_2"}, {"id": "ch_1"}]
    assert extract(stripe_list(objects, has_more=True)) == objects


def test_records_are_returned_unchanged():
    obj = {"id": "ch_1", "amount": 100, "metadata": {"a": "b"}, "refunds": {"object": "list", "data": []}}
    assert extract(stripe_list([obj])) == [obj]


@pytest.mark.parametrize("body", [stripe_list([]), {"object": "list", "has_more": False}, {"data": None}])
def test_empty_missing_or_null_data_gives_no_records(body):
    assert extract(body) == []


def test_extraction_uses_the_cached_parse():
    r = response(body=stripe_list([{"id": "a"}]))
    json_body(r)
    r._content = b"garbage"  # would not parse again
    assert list(ListDataExtractor(parameters={}).extract_records(r)) == [{"id": "a"}]


def test_a_list_page_that_is_not_json_raises():
    with pytest.raises(ValueError):
        extract(content=b"<html>")


# --- is_preview ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "obj, preview",
    [
        ({"object": "invoice", "amount_due": 3}, True),  # `invoice.upcoming`'s invoice: no id
        ({"id": None, "object": "invoice"}, True),
        ({"id": "upcoming_in_1Pgc", "object": "invoice"}, True),  # or an `upcoming_…` one
        ({"id": "in_1", "object": "invoice"}, False),
        ({"id": "cus_upcoming_1", "object": "customer"}, False),  # the prefix, not a substring
    ],
)
def test_a_preview_is_an_object_without_an_id_or_with_an_upcoming_one(obj, preview):
    assert is_preview(obj) is preview


# --- is_deletion -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "event_type, deleted",
    [
        ("customer.deleted", True),
        ("invoice.deleted", True),
        ("coupon.deleted", True),
        ("customer.source.deleted", True),
        ("payment_method.detached", True),  # a detached payment method is gone like a deleted object
        ("customer.subscription.deleted", False),  # a canceled subscription stays, with its status
        ("payout.canceled", False),
        ("credit_note.voided", False),
        ("payment_method.updated", False),
        ("payment_method.attached", False),
    ],
)
def test_an_event_type_says_whether_its_object_is_gone(event_type, deleted):
    assert is_deletion(event_type) is deleted
