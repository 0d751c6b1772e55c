import json

import requests

from source_stripe.components.extractors import EventObjectExtractor, is_deletion


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


def test_objects_without_an_id_are_skipped():
    page = events_page(event("invoice.upcoming", {"object": "invoice", "amount_due": 3}), event("invoice.paid", {"id": "in_1"}))
    assert [r["id"] for r in EventObjectExtractor(parameters={}).extract_records(page)] == ["in_1"]


def test_a_canceled_subscription_is_not_deleted_other_deletions_are():
    assert is_deletion("customer.deleted") and is_deletion("invoice.deleted") and is_deletion("coupon.deleted")
    assert not is_deletion("customer.subscription.deleted")
    assert not is_deletion("payout.canceled") and not is_deletion("credit_note.voided")


def test_an_empty_page_yields_nothing():
    assert list(EventObjectExtractor(parameters={}).extract_records(events_page())) == []
