"""rereads.py: which records a window of events gives a stream (`StreamEvents`, pure), one record per object
(`NewestPerObject`), and the re-reads sent through a requester (`Rereads`)."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest

from helpers import response
from source_stripe.components.rereads import (
    NewestPerObject,
    ObjectPath,
    Relist,
    RereadRule,
    Rereads,
    Retrieve,
    Snapshot,
    StreamEvents,
)

CLOVER = "2025-09-30.clover"
ACACIA = "2024-09-30.acacia"

CUSTOMERS = StreamEvents.from_parameters(
    {
        "name": "customers",
        "path": "customers",
        "event_types": ["customer.created", "customer.deleted", "customer.updated"],
        "reread_on": {"customer.discount.created": {"id": "customer"}, "customer.discount.deleted": {"id": "customer"}},
    }
)
INVOICE_ITEMS = StreamEvents.from_parameters(
    {
        "name": "invoice_items",
        "path": "invoiceitems",
        "event_types": ["invoiceitem.created", "invoiceitem.deleted"],
        "reread_on": {"invoice.updated": {"invoice": "id"}},
    }
)
TAX_IDS = StreamEvents.from_parameters(
    {
        "name": "customer_tax_ids",
        "path": "customers/{{ stream_partition.parent_id }}/tax_ids",
        "parent_field": "customer",
        "event_object": "tax_id",
        "event_types": ["customer.tax_id.created", "customer.tax_id.deleted", "customer.tax_id.updated"],
    }
)


def event(type_: str, obj: Any, created: int = 100, version: str = CLOVER) -> Dict[str, Any]:
    return {"id": f"evt_{created}", "object": "event", "type": type_, "created": created, "api_version": version,
            "data": {"object": obj}}


def outcomes(stream: StreamEvents, events: List[Dict[str, Any]], served: str = CLOVER) -> list:
    return list(stream.window().outcomes(events, served))


# --- the stream's own events -------------------------------------------------------------------------------------


def test_an_events_object_is_a_record_with_the_events_time_and_whether_it_removed_the_object():
    got = outcomes(
        CUSTOMERS,
        [event("customer.updated", {"id": "cus_1", "email": "a@b.c"}, 200), event("customer.deleted", {"id": "cus_2"}, 150)],
    )
    assert got == [
        Snapshot({"id": "cus_1", "email": "a@b.c", "updated": 200, "is_deleted": False}),
        Snapshot({"id": "cus_2", "updated": 150, "is_deleted": True}),
    ]


def test_the_events_object_is_left_as_it_was():
    obj = {"id": "cus_1"}
    outcomes(CUSTOMERS, [event("customer.updated", obj)])
    assert obj == {"id": "cus_1"}  # a pass shared by several streams hands the same event to each


def test_only_the_newest_event_of_an_object_counts_across_the_pages_of_a_window():
    window = CUSTOMERS.window()
    first = list(window.outcomes([event("customer.updated", {"id": "cus_1", "v": 2}, 9)], CLOVER))
    second = list(window.outcomes([event("customer.updated", {"id": "cus_1", "v": 1}, 8)], CLOVER))
    assert [o.record["v"] for o in first] == [2] and second == []
    assert [o.record["v"] for o in CUSTOMERS.window().outcomes([event("customer.updated", {"id": "cus_1", "v": 1}, 8)], CLOVER)] == [1]


@pytest.mark.parametrize("preview", [{"object": "invoice", "amount_due": 3}, {"id": "upcoming_in_1", "object": "invoice"}])
def test_a_preview_invoice_is_no_record(preview):
    invoices = StreamEvents.from_parameters({"path": "invoices", "event_types": ["invoice.updated", "invoice.upcoming"]})
    got = outcomes(invoices, [event("invoice.upcoming", preview), event("invoice.updated", {"id": "in_1"})])
    assert [o.record["id"] for o in got] == ["in_1"]


def test_events_of_types_the_stream_does_not_read_give_nothing():
    # A pass shared by every stream hands each stream every event.
    assert outcomes(CUSTOMERS, [event("charge.succeeded", {"id": "ch_1"}), event("customer.source.created", {"id": "card_1"})]) == []


def test_a_child_stream_keeps_its_own_kind_of_object_with_a_parent_or_removed():
    cards = StreamEvents.from_parameters(
        {"path": "customers/{{ stream_partition.parent_id }}/sources", "parent_field": "customer", "event_object": "card",
         "event_types": ["customer.source.created", "customer.source.deleted"]}
    )
    got = outcomes(
        cards,
        [
            event("customer.source.created", {"id": "ba_1", "object": "bank_account", "customer": "cus_1"}),
            event("customer.source.created", {"id": "card_1", "object": "card", "customer": "cus_1"}),
            event("customer.source.created", {"id": "card_2", "object": "card", "customer": None}),
            event("customer.source.deleted", {"id": "card_3", "object": "card", "customer": None}),
        ],
    )
    assert [(o.record["id"], o.record["is_deleted"]) for o in got] == [("card_1", False), ("card_3", True)]


# --- events of other objects that change the stream's objects ------------------------------------------------------


def test_an_invoice_event_re_lists_the_invoices_items_once_per_window_at_its_newest_event():
    got = outcomes(
        INVOICE_ITEMS,
        [
            event("invoice.updated", {"id": "in_1"}, 300),
            event("invoiceitem.created", {"id": "ii_9", "invoice": "in_2"}, 250),
            event("invoice.updated", {"id": "in_1"}, 200),
            event("invoice.updated", {"id": "in_2"}, 100),
        ],
    )
    assert got == [
        Relist(field="invoice", value="in_1", at=300),
        Snapshot({"id": "ii_9", "invoice": "in_2", "updated": 250, "is_deleted": False}),
        Relist(field="invoice", value="in_2", at=100),
    ]


def test_a_discount_event_re_reads_its_customer_by_id_and_a_discount_of_no_customer_asks_nothing():
    discount = {"id": "di_1", "object": "discount", "customer": "cus_1"}
    got = outcomes(
        CUSTOMERS,
        [
            event("customer.discount.created", discount, 200),
            event("customer.discount.deleted", dict(discount, customer=None), 150),
            event("customer.discount.deleted", discount, 100),
        ],
    )
    assert got == [Retrieve(path="customers/cus_1", at=200)]


def test_a_re_read_events_object_may_be_an_expanded_reference():
    got = outcomes(CUSTOMERS, [event("customer.discount.created", {"id": "di_1", "customer": {"id": "cus_1", "object": "customer"}})])
    assert got == [Retrieve(path="customers/cus_1", at=100)]


def test_the_stream_reads_its_own_event_types_and_those_that_re_read_its_objects_sorted():
    assert CUSTOMERS.types == [
        "customer.created", "customer.deleted", "customer.discount.created", "customer.discount.deleted", "customer.updated",
    ]


@pytest.mark.parametrize("spec", [{"invoice": "id", "customer": "customer"}, "invoice", {}])
def test_a_reread_rule_is_one_pair_of_fields(spec):
    with pytest.raises(ValueError, match="reread_on.invoice.updated"):
        RereadRule.parse("invoice.updated", spec)


def test_a_child_stream_cannot_re_list_by_a_filter():
    with pytest.raises(ValueError, match="top-level"):
        StreamEvents.from_parameters({"name": "x", "path": TAX_IDS.paths.list_path, "event_types": ["a.b"], "reread_on": {"c.d": {"e": "id"}}})


def test_a_stream_read_through_events_names_its_event_types():
    with pytest.raises(ValueError, match="event_types"):
        StreamEvents.from_parameters({"name": "customers", "path": "customers"})


# --- one shape per stream: objects rendered at another API version ---------------------------------------------------


def test_an_object_rendered_at_another_api_version_is_retrieved_by_id_instead():
    got = outcomes(
        CUSTOMERS,
        [event("customer.updated", {"id": "cus_1"}, 200, version=ACACIA), event("customer.updated", {"id": "cus_2"}, 100)],
    )
    assert got == [Retrieve(path="customers/cus_1", at=200), Snapshot({"id": "cus_2", "updated": 100, "is_deleted": False})]


def test_a_deletion_rendered_at_another_version_is_its_id_kind_and_parent_and_needs_no_re_read():
    got = outcomes(
        TAX_IDS,
        [event("customer.tax_id.deleted", {"id": "txi_1", "object": "tax_id", "customer": "cus_1", "value": "DE1"}, 7, ACACIA)],
    )
    assert got == [Snapshot({"id": "txi_1", "object": "tax_id", "customer": "cus_1", "updated": 7, "is_deleted": True})]


def test_a_child_rendered_at_another_version_is_retrieved_under_its_parent():
    got = outcomes(TAX_IDS, [event("customer.tax_id.updated", {"id": "txi_1", "object": "tax_id", "customer": "cus_1"}, 7, ACACIA)])
    assert got == [Retrieve(path="customers/cus_1/tax_ids/txi_1", at=7)]


@pytest.mark.parametrize("event_version, served", [(None, CLOVER), (ACACIA, None), (CLOVER, CLOVER)])
def test_an_object_is_taken_as_it_is_when_either_version_is_unknown_or_they_agree(event_version, served):
    got = outcomes(CUSTOMERS, [event("customer.updated", {"id": "cus_1"}, 5, version=event_version)], served=served)
    assert got == [Snapshot({"id": "cus_1", "updated": 5, "is_deleted": False})]


def test_an_objects_path_is_the_list_path_and_its_id_with_a_childs_parent_in_it():
    assert ObjectPath("customers").of({"id": "cus_1"}) == "customers/cus_1"
    assert ObjectPath("issuing/tokens", "card").of({"id": "intok_1", "card": "ic_1"}) == "issuing/tokens/intok_1"
    child = ObjectPath("customers/{{ stream_partition.parent_id }}/sources", "customer")
    assert child.of({"id": "card_1", "customer": "cus_1"}) == "customers/cus_1/sources/card_1"
    assert child.of({"id": "card_1", "customer": None}) is None


# --- one record per object ---------------------------------------------------------------------------------------


def test_one_record_per_object_the_first_which_is_the_newest():
    newest = NewestPerObject()
    assert [r["v"] for r in newest.first([{"id": "a", "v": 3}, {"id": "b", "v": 2}, {"id": "a", "v": 1}])] == [3, 2]
    assert [r["v"] for r in newest.first([{"id": "b", "v": 0}, {"id": "c", "v": 0}])] == [0]


# --- sending the re-reads -------------------------------------------------------------------------------------------


class FakeRequester:
    """A requester answering `send_request(path=…, request_params=…)` from a dict of (path, frozen params) -> body."""

    def __init__(self, answers):
        self.answers = answers
        self.sent = []

    def send_request(self, stream_slice=None, path=None, request_params=None, **_kwargs):
        self.sent.append((path, dict(request_params or {})))
        status, body = self.answers[(path, tuple(sorted((request_params or {}).items())))]
        return response(status, body)


def test_a_relist_reads_every_page_with_the_rows_query_and_stamps_the_events_time():
    requester = FakeRequester(
        {
            ("subscriptions", (("customer", "cus_1"), ("limit", 2), ("status", "all"))):
                (200, {"object": "list", "data": [{"id": "sub_3"}, {"id": "sub_2"}], "has_more": True}),
            ("subscriptions", (("customer", "cus_1"), ("limit", 2), ("starting_after", "sub_2"), ("status", "all"))):
                (200, {"object": "list", "data": [{"id": "sub_1"}], "has_more": False}),
        }
    )
    rereads = Rereads(requester=requester, list_path="subscriptions", list_query={"status": "all"}, page_size=2)
    records = rereads.records(Relist(field="customer", value="cus_1", at=42))
    assert records == [{"id": f"sub_{n}", "updated": 42, "is_deleted": False} for n in (3, 2, 1)]


def test_a_retrieved_object_is_a_record_and_a_gone_or_deleted_one_is_none():
    requester = FakeRequester(
        {
            ("customers/cus_1", ()): (200, {"id": "cus_1", "object": "customer", "discount": {"id": "di_1"}}),
            ("customers/cus_2", ()): (404, {"error": {"code": "resource_missing", "message": "No such customer"}}),
            ("customers/cus_3", ()): (200, {"id": "cus_3", "object": "customer", "deleted": True}),
        }
    )
    rereads = Rereads(requester=requester, list_path="customers")
    assert rereads.records(Retrieve(path="customers/cus_1", at=9)) == [
        {"id": "cus_1", "object": "customer", "discount": {"id": "di_1"}, "updated": 9, "is_deleted": False}
    ]
    assert rereads.records(Retrieve(path="customers/cus_2", at=9)) == []
    assert rereads.records(Retrieve(path="customers/cus_3", at=9)) == []
