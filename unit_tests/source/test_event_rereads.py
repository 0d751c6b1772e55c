"""The events path reads objects again where events cannot give them, through the CDK against a mocked Stripe API:

- events of another object that change the stream's objects (a row's `reread_on`): an invoice's `invoice.updated`
  re-lists its items, a charge's `charge.refunded` its refunds, a `customer.discount.*` re-reads the customer;
- events rendered at another API version than the connector's requests get: their objects are read by id.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Dict, List

from conftest import UNIT_PLATFORM
from helpers import (
    API,
    a_recent_cursor,
    error_messages,
    make_config,
    params,
    query,
    read_incremental,
    record_data,
    requests_to,
    warnings_of,
)

CLOVER = "2025-09-30.clover"
ACACIA = "2024-09-30.acacia"


def event(type_: str, obj: Dict[str, Any], created: int, version: str = CLOVER) -> Dict[str, Any]:
    return {"id": f"evt_{type_}_{obj.get('id')}_{created}", "object": "event", "type": type_, "created": created,
            "api_version": version, "data": {"object": obj}}


def events(stripe, *listed: Dict[str, Any], served: str = CLOVER) -> None:
    """`/v1/events` answers `listed` (newest first), served at `served` (its `Stripe-Version` header)."""
    stripe.get(f"{API}/events", json={"object": "list", "data": list(listed), "has_more": False},
               headers={"Stripe-Version": served})


def a_list(*objects: Dict[str, Any]) -> Dict[str, Any]:
    return {"object": "list", "data": list(objects), "has_more": False}


def by_id(records: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    assert len(records) == len({r["id"] for r in records}), "an object was emitted twice"
    return {r["id"]: r for r in records}


# --- reread_on -----------------------------------------------------------------------------------------------------


def test_an_invoices_update_re_lists_its_items_with_the_events_time(stripe):
    cursor = a_recent_cursor()
    events(
        stripe,
        event("invoice.updated", {"id": "in_1", "object": "invoice"}, cursor + 30),
        event("invoiceitem.created", {"id": "ii_9", "object": "invoiceitem", "invoice": None}, cursor + 20),
        event("invoice.updated", {"id": "in_1", "object": "invoice"}, cursor + 10),
    )
    stripe.get(f"{API}/invoiceitems?invoice=in_1", json=a_list({"id": "ii_1", "amount": 5, "invoice": "in_1"},
                                                                {"id": "ii_2", "amount": 7, "invoice": "in_1"}))
    output = read_incremental("invoice_items", cursor)
    assert not output.errors, error_messages(output)
    records = by_id(record_data(output))
    assert set(records) == {"ii_1", "ii_2", "ii_9"}
    assert records["ii_1"] == {
        "id": "ii_1", "amount": 5, "invoice": "in_1", "updated": cursor + 30, "is_deleted": False,
        "account_id": UNIT_PLATFORM,
    }
    assert records["ii_9"]["updated"] == cursor + 20
    [relist] = requests_to(stripe, "invoiceitems")  # once per window, at the invoice's newest event
    assert params(relist) == {"invoice": "in_1", "limit": "100"}
    [events_request] = requests_to(stripe, "events")
    assert query(events_request)["types[]"] == ["invoice.updated", "invoiceitem.created", "invoiceitem.deleted"]


def test_a_charge_refunded_event_re_lists_the_charges_refunds(stripe):
    cursor = a_recent_cursor()
    events(stripe, event("charge.refunded", {"id": "ch_1", "object": "charge", "amount_refunded": 300}, cursor + 5))
    stripe.get(f"{API}/refunds?charge=ch_1", json=a_list({"id": "re_2", "charge": "ch_1"}, {"id": "re_1", "charge": "ch_1"}))
    output = read_incremental("refunds", cursor)
    assert not output.errors, error_messages(output)
    assert [(r["id"], r["updated"], r["object"] if "object" in r else None) for r in record_data(output)] == [
        ("re_2", cursor + 5, None), ("re_1", cursor + 5, None)
    ]
    assert "charge.refunded" in query(requests_to(stripe, "events")[0])["types[]"]


def test_a_customer_discount_event_re_reads_the_customer_whose_discount_changed(stripe):
    cursor = a_recent_cursor()
    discount = {"id": "di_1", "object": "discount", "customer": "cus_1", "source": {"coupon": "SAVE", "type": "coupon"}}
    events(
        stripe,
        event("customer.discount.created", discount, cursor + 20),
        event("customer.updated", {"id": "cus_1", "object": "customer", "discount": None}, cursor + 10),
    )
    stripe.get(f"{API}/customers/cus_1", json={"id": "cus_1", "object": "customer", "discount": discount})
    output = read_incremental("customers", cursor)
    assert not output.errors, error_messages(output)
    # The re-read customer (with its discount, as of the newest event) wins over the older event's snapshot.
    assert record_data(output) == [
        {
            "id": "cus_1", "object": "customer", "discount": discount, "updated": cursor + 20, "is_deleted": False,
            "account_id": UNIT_PLATFORM,
        }
    ]


def test_a_customer_deleted_before_its_re_read_gives_no_record_and_a_warning_not_a_failure(stripe):
    cursor = a_recent_cursor()
    events(stripe, event("customer.discount.deleted", {"id": "di_1", "object": "discount", "customer": "cus_gone"}, cursor + 5))
    stripe.get(f"{API}/customers/cus_gone", status_code=404,
               json={"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "No such customer: 'cus_gone'"}})
    output = read_incremental("customers", cursor)
    assert not output.errors, error_messages(output)
    assert record_data(output) == []
    assert any("'customers'" in w and "deleted before it could be read again" in w and "/v1/customers/cus_gone" in w
               for w in warnings_of(output))


# --- one shape per stream --------------------------------------------------------------------------------------------


def test_objects_rendered_at_another_api_version_are_read_by_id_at_the_connectors_version(stripe):
    cursor = a_recent_cursor()
    events(
        stripe,
        event("customer.updated", {"id": "cus_old", "object": "customer", "shape": "acacia"}, cursor + 30, ACACIA),
        event("customer.deleted", {"id": "cus_gone", "object": "customer", "shape": "acacia"}, cursor + 20, ACACIA),
        event("customer.updated", {"id": "cus_new", "object": "customer", "shape": "clover"}, cursor + 10, CLOVER),
        served=CLOVER,
    )
    stripe.get(f"{API}/customers/cus_old", json={"id": "cus_old", "object": "customer", "shape": "clover"},
               headers={"Stripe-Version": CLOVER})
    output = read_incremental("customers", cursor)
    assert not output.errors, error_messages(output)
    records = by_id(record_data(output))
    assert records == {
        "cus_old": {"id": "cus_old", "object": "customer", "shape": "clover", "updated": cursor + 30, "is_deleted": False,
                    "account_id": UNIT_PLATFORM},
        # A deletion needs no re-read: what it says does not depend on the version.
        "cus_gone": {"id": "cus_gone", "object": "customer", "updated": cursor + 20, "is_deleted": True,
                     "account_id": UNIT_PLATFORM},
        "cus_new": {"id": "cus_new", "object": "customer", "shape": "clover", "updated": cursor + 10, "is_deleted": False,
                    "account_id": UNIT_PLATFORM},
    }
    assert [r.url.split("?")[0] for r in stripe.request_history if "/customers/" in r.url] == [f"{API}/customers/cus_old"]


def test_a_pinned_api_version_is_the_version_events_are_held_to_and_re_reads_are_sent_at(stripe):
    cursor = a_recent_cursor()
    events(
        stripe,
        event("customer.updated", {"id": "cus_1", "object": "customer"}, cursor + 10, CLOVER),
        event("customer.updated", {"id": "cus_2", "object": "customer"}, cursor + 5, ACACIA),
        served=ACACIA,
    )
    stripe.get(f"{API}/customers/cus_1", json={"id": "cus_1", "object": "customer", "shape": "acacia"})
    output = read_incremental("customers", cursor, make_config(api_version=ACACIA))
    assert not output.errors, error_messages(output)
    assert {r["id"]: r.get("shape") for r in record_data(output)} == {"cus_1": "acacia", "cus_2": None}
    [re_read] = [r for r in stripe.request_history if r.url.startswith(f"{API}/customers/")]
    assert re_read.headers["Stripe-Version"] == ACACIA
    assert "types[]" not in query(re_read)  # the events request's query stays on the events request


def test_a_customers_tax_ids_are_read_from_their_own_events_and_under_their_customer_when_re_read(stripe):
    cursor = a_recent_cursor()
    events(
        stripe,
        event("customer.tax_id.updated", {"id": "txi_1", "object": "tax_id", "customer": "cus_1", "v": "old"}, cursor + 9, ACACIA),
        event("customer.tax_id.created", {"id": "txi_2", "object": "tax_id", "customer": "cus_2"}, cursor + 8),
        event("customer.tax_id.deleted", {"id": "txi_3", "object": "tax_id", "customer": "cus_2"}, cursor + 7),
    )
    stripe.get(f"{API}/customers/cus_1/tax_ids/txi_1", json={"id": "txi_1", "object": "tax_id", "customer": "cus_1", "v": "new"})
    output = read_incremental("customer_tax_ids", cursor)
    assert not output.errors, error_messages(output)
    records = by_id(record_data(output))
    assert {i: (r.get("v"), r["is_deleted"], r["updated"]) for i, r in records.items()} == {
        "txi_1": ("new", False, cursor + 9), "txi_2": (None, False, cursor + 8), "txi_3": (None, True, cursor + 7)
    }
    assert query(requests_to(stripe, "events")[0])["types[]"] == [
        "customer.tax_id.created", "customer.tax_id.deleted", "customer.tax_id.updated"
    ]


def test_re_reads_run_in_several_threads_but_no_more_than_num_workers(stripe):
    cursor = a_recent_cursor()
    customers = [f"cus_{n}" for n in range(12)]
    events(stripe, *[event("customer.updated", {"id": c, "object": "customer"}, cursor + 20 - n, ACACIA)
                     for n, c in enumerate(customers)])
    threads = set()

    def customer(request, context):
        # requests-mock answers one request at a time, so the threads asking tell the concurrency, not the overlap.
        threads.add(threading.get_ident())
        time.sleep(0.01)
        return {"id": request.path.rsplit("/", 1)[-1], "object": "customer", "shape": "clover"}

    stripe.get(re.compile(re.escape(API) + r"/customers/cus_\d+$"), json=customer)
    output = read_incremental("customers", cursor, make_config(num_workers=3))
    assert not output.errors, error_messages(output)
    assert [r["id"] for r in record_data(output)] == customers  # in the events' order
    assert all(r["shape"] == "clover" for r in record_data(output))
    assert 2 <= len(threads) <= 3
