"""extractors.py: ListDataExtractor (a list page's objects), EventObjectExtractor (an events page's objects as
snapshots) and `is_deletion` (which event types say the object is gone)."""

import json

import pytest
import requests

from helpers import response, stripe_list
from source_stripe.components.extractors import EventObjectExtractor, ListDataExtractor, is_deletion
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


# --- EventObjectExtractor --------------------------------------------------------------------------------------


def events_page(*events):
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps({"object": "list", "data": list(events), "has_more": False}).encode()
    return response


def event(type_, obj, created=100):
    return {"id": f"evt_{type_}", "object": "event", "type": type_, "created": created, "data": {"object": obj}}


def test_each_events_object_becomes_a_record_with_updated_and_is_deleted():
    page = events_page(
        event("customer.updated", {"id": "cus_1", "email": "a@b.c", "created": 5}, created=200),
        event("customer.deleted", {"id": "cus_2", "created": 6}, created=150),
    )
    records = list(EventObjectExtractor(parameters={}).extract_records(page))
    assert records == [
        {"id": "cus_1", "email": "a@b.c", "created": 5, "updated": 200, "is_deleted": False},
        {"id": "cus_2", "created": 6, "updated": 150, "is_deleted": True},
    ]


def test_event_objects_without_an_id_are_skipped():
    page = events_page(event("invoice.upcoming", {"object": "invoice", "amount_due": 3}), event("invoice.paid", {"id": "in_1"}))
    assert [r["id"] for r in EventObjectExtractor(parameters={}).extract_records(page)] == ["in_1"]


def test_a_preview_invoice_with_an_upcoming_id_is_no_record():
    page = events_page(
        event("invoice.updated", {"id": "upcoming_in_1Pgc", "object": "invoice"}), event("invoice.paid", {"id": "in_1"})
    )
    assert [r["id"] for r in EventObjectExtractor(parameters={}).extract_records(page)] == ["in_1"]


def test_an_empty_events_page_yields_nothing():
    assert list(EventObjectExtractor(parameters={}).extract_records(events_page())) == []


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
