"""Child streams (`invoice_line_items`, `bank_accounts`, `payment_methods`, …) read end to end through the CDK
against a mocked Stripe API (requests-mock).

Without state, a child stream lists every parent's children (a first sync lists the parents in density windows).
With state, children that follow their parent (`invoice_line_items`, `payout_balance_transactions`, …) read the
parent's events since the cursor and re-list the children of each changed parent; children with events of their own
(`payment_methods`, `customer_cards`) read those events.
"""

from __future__ import annotations

import re
import threading
import time
from typing import Any, Dict, List, Optional
from urllib.parse import urlsplit

import pytest
from airbyte_cdk.models import SyncMode

from conftest import UNIT_PLATFORM
from fake_stripe import FakeStripeList
from helpers import (
    API,
    START_TS,
    a_recent_cursor,
    error_messages,
    final_state,
    make_config,
    one_window_config,
    page,
    params,
    query,
    read_incremental,
    record_data,
    requests_to,
    run_read,
    stripe_error,
    warnings_of,
)
from source_stripe.source import SourceStripe

DEFAULT_OVERLAP = 60


@pytest.fixture(scope="module")
def manifest_streams() -> Dict[str, Dict[str, Any]]:
    manifest = SourceStripe(config=make_config()).resolved_manifest
    return {s.get("name") or s["$parameters"]["name"]: s for s in manifest["streams"]}


def event_types_of(manifest_streams, name: str) -> List[str]:
    stream = manifest_streams[name]
    return list(stream.get("event_types") or stream["$parameters"]["event_types"])


def invoice_event(
    event_id: str,
    invoice_id: str,
    created: int,
    type_: str = "invoice.updated",
    lines: Optional[List[str]] = None,
    previous_lines: Optional[List[str]] = None,
) -> Dict[str, Any]:
    invoice: Dict[str, Any] = {"id": invoice_id, "object": "invoice"}
    if lines is not None:
        invoice["lines"] = {"object": "list", "data": [{"id": line, "object": "line_item"} for line in lines]}
    data: Dict[str, Any] = {"object": invoice}
    if previous_lines is not None:
        data["previous_attributes"] = {"lines": {"object": "list", "data": [{"id": line} for line in previous_lines]}}
    return {"id": event_id, "object": "event", "type": type_, "created": created, "data": data}


def line(line_id: str, **fields: Any) -> Dict[str, Any]:
    return {"id": line_id, "object": "line_item", "amount": 100, **fields}


def by_id(records: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {record["id"]: record for record in records}


# --- without state: every parent's children --------------------------------------------------------------------


def test_given_a_child_without_its_parent_field_when_read_then_the_parent_id_is_added_and_stripes_own_is_kept(stripe):
    stripe.get(f"{API}/credit_notes", [page([{"id": "cn_1"}])])
    stripe.get(f"{API}/credit_notes/cn_1/lines", [page([{"id": "cnli_1"}, {"id": "cnli_2", "credit_note": "cn_other"}])])
    output = run_read(["credit_note_line_items"], make_config())
    assert not output.errors, error_messages(output)
    records = {r["id"]: r for r in record_data(output)}
    assert records["cnli_1"]["credit_note"] == "cn_1"
    assert records["cnli_2"]["credit_note"] == "cn_other"


def test_given_a_child_stream_that_takes_the_parent_in_the_query_when_read_then_the_parent_id_is_a_parameter(stripe):
    stripe.get(f"{API}/payouts", [page([{"id": "po_1", "created": 1767225600}])])
    stripe.get(f"{API}/balance_transactions", [page([{"id": "txn_1"}])])
    output = run_read(["payout_balance_transactions"], one_window_config())
    [child] = requests_to(stripe, "balance_transactions")
    assert params(child)["payout"] == "po_1"
    assert record_data(output) == [
        {"id": "txn_1", "payout": "po_1", "updated": 1767225600, "is_deleted": False, "account_id": UNIT_PLATFORM}
    ]


def test_given_bank_accounts_when_read_then_sources_are_filtered_by_object_and_the_parent_request_is_not(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}])])
    stripe.get(f"{API}/customers/cus_1/sources", [page([{"id": "ba_1", "object": "bank_account", "customer": "cus_1"}])])
    stripe.get(f"{API}/customers/cus_2/sources", [page([])])
    output = run_read(["bank_accounts"], make_config())
    assert not output.errors, error_messages(output)
    [parent] = requests_to(stripe, "customers")
    assert "object" not in params(parent)
    children = requests_to(stripe, "customers/cus_1/sources") + requests_to(stripe, "customers/cus_2/sources")
    assert len(children) == 2
    assert all(params(r)["object"] == "bank_account" for r in children)
    assert [r["id"] for r in record_data(output)] == ["ba_1"]


def test_given_a_deleted_parent_when_read_then_the_other_parents_children_are_emitted_and_the_read_succeeds(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}])])
    stripe.get(f"{API}/customers/cus_1/balance_transactions", [page([{"id": "cbtxn_1", "customer": "cus_1"}])])
    stripe.get(
        f"{API}/customers/cus_2/balance_transactions",
        [stripe_error(404, "No such customer: 'cus_2'", code="resource_missing")],
    )
    output = run_read(["customer_balance_transactions"], one_window_config())
    assert [r["id"] for r in record_data(output)] == ["cbtxn_1"]
    assert not output.errors, error_messages(output)


def test_a_manual_payouts_balance_transactions_are_skipped_with_a_warning_naming_it(stripe):
    stripe.get(f"{API}/payouts", [page([{"id": "po_auto", "created": START_TS}, {"id": "po_manual", "created": START_TS}])])
    stripe.get(
        f"{API}/balance_transactions?payout=po_auto", [page([{"id": "txn_1", "created": START_TS}])], complete_qs=False
    )
    stripe.get(
        f"{API}/balance_transactions?payout=po_manual",
        [stripe_error(400, "Balance transaction history can only be filtered on automatic transfers, not manual.")],
        complete_qs=False,
    )
    output = run_read(["payout_balance_transactions"], one_window_config())
    assert not output.errors, error_messages(output)
    assert [(r["id"], r["payout"]) for r in record_data(output)] == [("txn_1", "po_auto")]
    assert any("automatic payouts only" in w and "po_manual" in w for w in warnings_of(output)), warnings_of(output)
    assert len([r for r in stripe.request_history if "payout=po_manual" in r.url]) == 1  # not retried


# A connected account whose persons its platform may not read: Stripe answers 403, no error code, for that account only.
UNREADABLE_PERSONS = stripe_error(403, "This platform does not have access to the persons of account 'acct_2'.")


def _two_accounts(stripe, second_persons) -> None:
    stripe.get(f"{API}/accounts", [page([{"id": "acct_1", "created": START_TS}, {"id": "acct_2", "created": START_TS}])])
    stripe.get(f"{API}/accounts/acct_1/persons", [page([{"id": "person_1", "account": "acct_1"}])])
    stripe.get(f"{API}/accounts/acct_2/persons", second_persons)


def test_persons_of_an_account_the_platform_may_not_read_are_skipped_with_a_warning(stripe):
    _two_accounts(stripe, [UNREADABLE_PERSONS])
    output = run_read(["persons"], one_window_config())
    assert not output.errors, error_messages(output)
    assert [(r["id"], r["account"]) for r in record_data(output)] == [("person_1", "acct_1")]
    warnings = [w for w in warnings_of(output) if "/v1/accounts/acct_2/persons" in w]
    assert warnings and "persons" in warnings[0] and "does not have access" in warnings[0], warnings_of(output)
    assert len(requests_to(stripe, "accounts/acct_2/persons")) == 1  # not retried


def test_a_restricted_key_without_the_persons_permission_fails_the_stream_naming_it(stripe):
    _two_accounts(stripe, [stripe_error(
        403,
        "The provided key 'rk_test_*****E123' does not have the required permissions for this endpoint on account "
        "'acct_1EmulatorPlatform0'. Having the 'rak_person_read' permission would allow this request to continue.",
    )])
    output = run_read(["persons"], one_window_config(), expecting_exception=True)
    assert output.errors
    assert any("rak_person_read" in m and "persons" in m for m in error_messages(output)), error_messages(output)


def test_a_403_on_a_stream_of_no_parent_still_fails_the_stream(stripe):
    stripe.get(f"{API}/accounts", [stripe_error(403, "This platform does not have access to these accounts.")])
    output = run_read(["accounts"], one_window_config(), expecting_exception=True)
    assert output.errors
    assert any("HTTP 403" in m and "accounts" in m for m in error_messages(output)), error_messages(output)


def test_a_rate_limited_listing_of_an_accounts_persons_is_retried_not_skipped(stripe, backoff_sleeps):
    _two_accounts(stripe, [stripe_error(429, "Too many requests"), page([{"id": "person_2", "account": "acct_2"}])])
    output = run_read(["persons"], one_window_config())
    assert not output.errors, error_messages(output)
    assert sorted(r["id"] for r in record_data(output)) == ["person_1", "person_2"]
    assert backoff_sleeps


def test_treasury_transactions_are_listed_for_each_financial_account_named_in_the_query(stripe):
    stripe.get(f"{API}/treasury/financial_accounts", [page([{"id": "fa_1", "created": START_TS}, {"id": "fa_2", "created": START_TS}])])
    stripe.get(
        f"{API}/treasury/transactions",
        json=lambda request, context: page([{"id": "trxn_" + params(request)["financial_account"]}])["json"],
    )
    output = run_read(["treasury_transactions"], one_window_config())
    assert not output.errors, error_messages(output)
    assert sorted((r["id"], r["financial_account"]) for r in record_data(output)) == [
        ("trxn_fa_1", "fa_1"), ("trxn_fa_2", "fa_2")
    ]
    assert sorted(params(r)["financial_account"] for r in requests_to(stripe, "treasury/transactions")) == ["fa_1", "fa_2"]


def test_a_first_sync_lists_the_invoices_in_windows_then_each_invoices_lines_once(stripe):
    now = int(time.time())
    invoices = FakeStripeList(prefix="in", createds=[START_TS + (now - START_TS) * i // 1200 for i in range(1200)])
    stripe.get(f"{API}/invoices", text=invoices)
    stripe.get(re.compile(rf"{re.escape(API)}/invoices/in_\d+/lines"), json=lambda request, context: page([line("il_" + request.path.split("/")[3])])["json"])
    before = int(time.time())
    output = run_read(["invoice_line_items"], make_config(num_workers=4, call_rate_limit=100000), sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    assert len(invoices.windows) > 4  # 12 pages of invoices: density windows, each closed by a state
    assert min(low for low, _ in invoices.windows) == START_TS
    lines = [r.path for r in stripe.request_history if r.path.endswith("/lines")]
    assert sorted(lines) == sorted(f"/v1/invoices/{o['id']}/lines" for o in invoices.objects)  # each invoice once
    assert requests_to(stripe, "events") == []
    records = by_id(record_data(output))
    assert len(records) == 1200
    invoice = invoices.objects[0]
    assert records["il_" + invoice["id"]] == {
        "id": "il_" + invoice["id"], "object": "line_item", "amount": 100, "invoice": invoice["id"],
        "updated": invoice["created"], "is_deleted": False, "account_id": UNIT_PLATFORM,
    }
    checkpoints = [vars(m.state.stream.stream_state) for m in output.state_messages]
    assert len(checkpoints) > 2
    assert all(c["backfill_started"] >= before for c in checkpoints[:-2])  # resumable first-read checkpoints
    state = final_state(output)
    assert list(state) == ["updated"]
    assert type(state["updated"]) is int
    assert before <= state["updated"] <= int(time.time())


def test_a_first_sync_checkpoints_an_updated_cursor_and_never_the_cdks_no_cursor_marker(stripe):
    stripe.get(f"{API}/invoices", [page([{"id": "in_1", "created": START_TS + 5}])])
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    output = run_read(["invoice_line_items"], make_config(), sync_mode=SyncMode.incremental)
    assert not output.errors, error_messages(output)
    assert output.state_messages
    for message in output.state_messages:
        assert "__ab_no_cursor_state_message" not in vars(message.state.stream.stream_state)
        assert "updated" in vars(message.state.stream.stream_state)


def test_a_cursor_older_than_the_event_retention_lists_every_invoices_lines_again(stripe):
    stale = int(time.time()) - 40 * 86400
    stripe.get(f"{API}/invoices", [page([{"id": "in_1", "created": START_TS + 5}])])
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    output = read_incremental("invoice_line_items", stale)
    assert not output.errors, error_messages(output)
    assert requests_to(stripe, "events") == []
    assert [r["id"] for r in record_data(output)] == ["il_1"]
    warnings = warnings_of(output)
    assert any("invoice_line_items" in w and "retention" in w for w in warnings), warnings


# --- invoice_line_items with state: the invoices' events ---------------------------------------------------------


def test_the_invoices_events_are_requested_by_the_invoices_event_types_from_the_cursor_minus_the_default_overlap(
    stripe, manifest_streams
):
    cursor = a_recent_cursor()
    stripe.get(f"{API}/events", [page([])])
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    [events_request] = requests_to(stripe, "events")
    sent = query(events_request)
    assert sent["types[]"] == event_types_of(manifest_streams, "invoices")
    assert int(sent["created[gte]"][0]) == cursor - DEFAULT_OVERLAP
    assert abs(int(sent["created[lte]"][0]) - time.time()) < 60


def test_the_events_overlap_setting_moves_the_child_streams_window_too(stripe):
    cursor = a_recent_cursor()
    stripe.get(f"{API}/events", [page([])])
    output = read_incremental("invoice_line_items", cursor, make_config(events_overlap_seconds=0))
    assert not output.errors, error_messages(output)
    [events_request] = requests_to(stripe, "events")
    assert int(query(events_request)["created[gte]"][0]) == cursor


def test_a_window_without_parent_events_lists_no_children_and_emits_nothing(stripe):
    stripe.get(f"{API}/events", [page([])])
    output = read_incremental("invoice_line_items", a_recent_cursor())
    assert not output.errors, error_messages(output)
    assert [urlsplit(r.url).path for r in stripe.request_history] == ["/v1/events"]
    assert record_data(output) == []


def test_a_changed_invoice_with_two_events_in_the_window_has_its_lines_listed_once(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [page([invoice_event("evt_2", "in_1", cursor + 20, "invoice.paid"), invoice_event("evt_1", "in_1", cursor + 10)])],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1"), line("il_2")])])
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    assert len(requests_to(stripe, "invoices/in_1/lines")) == 1
    assert [r["id"] for r in record_data(output)] == ["il_1", "il_2"]


def test_listed_lines_carry_their_invoice_the_time_of_its_newest_event_and_is_deleted_false(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [page([invoice_event("evt_2", "in_1", cursor + 20, "invoice.paid"), invoice_event("evt_1", "in_1", cursor + 10)])],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    output = read_incremental("invoice_line_items", cursor)
    assert record_data(output) == [
        {
            "id": "il_1", "object": "line_item", "amount": 100, "invoice": "in_1", "updated": cursor + 20,
            "is_deleted": False, "account_id": UNIT_PLATFORM,
        }
    ]
    [listing] = requests_to(stripe, "invoices/in_1/lines")
    assert query(listing) == {"limit": ["100"]}  # the events window is not put on the children's listing


def test_a_line_in_previous_attributes_but_no_longer_listed_comes_as_a_tombstone(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [
            page(
                [
                    invoice_event("evt_2", "in_1", cursor + 20, "invoice.finalized", lines=["il_1"]),
                    invoice_event("evt_1", "in_1", cursor + 10, lines=["il_1"], previous_lines=["il_1", "il_gone"]),
                ]
            )
        ],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    records = by_id(record_data(output))
    assert set(records) == {"il_1", "il_gone"}
    assert records["il_gone"] == {
        "id": "il_gone", "invoice": "in_1", "updated": cursor + 20, "is_deleted": True, "account_id": UNIT_PLATFORM
    }
    assert records["il_1"]["is_deleted"] is False


def test_a_line_in_previous_attributes_and_still_listed_is_no_tombstone(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [page([invoice_event("evt_1", "in_1", cursor + 10, lines=["il_1"], previous_lines=["il_1", "il_2"])])],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1"), line("il_2")])])
    output = read_incremental("invoice_line_items", cursor)
    assert [(r["id"], r["is_deleted"]) for r in record_data(output)] == [("il_1", False), ("il_2", False)]


def test_a_deleted_invoice_is_not_listed_and_its_embedded_lines_come_as_tombstones(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [
            page(
                [
                    invoice_event("evt_2", "in_2", cursor + 20, "invoice.deleted", lines=["il_21", "il_22"]),
                    invoice_event("evt_1", "in_1", cursor + 10),
                ]
            )
        ],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_11")])])
    stripe.get(f"{API}/invoices/in_2/lines", [page([line("il_21")])])  # must not be asked for
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    assert requests_to(stripe, "invoices/in_2/lines") == []
    records = by_id(record_data(output))
    assert set(records) == {"il_11", "il_21", "il_22"}
    for line_id in ("il_21", "il_22"):
        assert records[line_id] == {
            "id": line_id, "invoice": "in_2", "updated": cursor + 20, "is_deleted": True, "account_id": UNIT_PLATFORM
        }
    assert records["il_11"]["is_deleted"] is False


def test_the_final_state_is_an_integer_updated_cursor(stripe):
    cursor = a_recent_cursor()
    stripe.get(f"{API}/events", [page([invoice_event("evt_1", "in_1", cursor + 10)])])
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    before = int(time.time())
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    state = final_state(output)
    assert list(state) == ["updated"]
    assert type(state["updated"]) is int
    assert before <= state["updated"] <= int(time.time())  # the read's start: everything up to it has been read
    for message in output.state_messages:
        assert output.state_messages and message.state.stream.stream_descriptor.name == "invoice_line_items"
        assert not isinstance(vars(message.state.stream.stream_state).get("updated"), str)


def test_a_parent_whose_events_span_two_pages_is_listed_once(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [
            page([invoice_event("evt_3", "in_1", cursor + 30), invoice_event("evt_2", "in_2", cursor + 20)], has_more=True),
            page([invoice_event("evt_1", "in_1", cursor + 10)]),
        ],
    )
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_1")])])
    stripe.get(f"{API}/invoices/in_2/lines", [page([line("il_2")])])
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    first, second = requests_to(stripe, "events")
    assert "starting_after" not in query(first)
    assert query(second)["starting_after"] == ["evt_2"]
    assert query(second)["types[]"] == query(first)["types[]"]
    assert query(second)["created[gte]"] == query(first)["created[gte]"]
    assert len(requests_to(stripe, "invoices/in_1/lines")) == 1
    assert [(r["id"], r["updated"]) for r in record_data(output)] == [("il_1", cursor + 30), ("il_2", cursor + 20)]


def test_each_changed_invoices_lines_are_listed_through_all_their_pages(stripe):
    cursor = a_recent_cursor()
    invoices = [f"in_{n}" for n in range(1, 6)]
    stripe.get(
        f"{API}/events",
        [page([invoice_event(f"evt_{n}", invoice, cursor + 100 - n) for n, invoice in enumerate(invoices)])],
    )
    for invoice in invoices:
        stripe.get(
            f"{API}/invoices/{invoice}/lines",
            [page([line(f"{invoice}_a"), line(f"{invoice}_b")], has_more=True), page([line(f"{invoice}_c")])],
        )
    output = read_incremental("invoice_line_items", cursor)
    assert not output.errors, error_messages(output)
    expected = [(f"{invoice}_{suffix}", invoice) for invoice in invoices for suffix in "abc"]
    assert [(r["id"], r["invoice"]) for r in record_data(output)] == expected
    for invoice in invoices:
        first, second = requests_to(stripe, f"invoices/{invoice}/lines")
        assert query(second)["starting_after"] == [f"{invoice}_b"]


def listing_threads(stripe, config) -> List[str]:
    """The threads the lines of three changed invoices were listed from."""
    cursor = a_recent_cursor()
    threads: List[str] = []

    def lines_of(invoice):
        def respond(request, context):
            threads.append(threading.current_thread().name)
            time.sleep(0.02)
            return {"object": "list", "data": [line(f"{invoice}_line")], "has_more": False}

        return respond

    events = [invoice_event(f"evt_{n}", f"in_{n}", cursor + n) for n in (3, 2, 1)]
    stripe.get(f"{API}/events", [page(events)])
    for n in (1, 2, 3):
        stripe.get(f"{API}/invoices/in_{n}/lines", json=lines_of(f"in_{n}"))
    output = read_incremental("invoice_line_items", cursor, config)
    assert not output.errors, error_messages(output)
    assert [r["id"] for r in record_data(output)] == ["in_3_line", "in_2_line", "in_1_line"]
    return threads


def test_the_lines_of_several_changed_invoices_are_listed_from_several_threads(stripe):
    # requests-mock answers one request at a time, so the threads, not the overlap, show the parallel listing.
    assert len(set(listing_threads(stripe, make_config()))) > 1


def test_with_one_worker_the_lines_of_the_changed_invoices_are_listed_one_after_the_other(stripe):
    assert len(set(listing_threads(stripe, make_config(num_workers=1)))) == 1


def test_lines_come_in_the_order_of_their_invoices_newest_events_whichever_listing_ends_first(stripe):
    cursor = a_recent_cursor()

    def slow(request, context):
        time.sleep(0.1)
        return {"object": "list", "data": [line("il_newest")], "has_more": False}

    stripe.get(
        f"{API}/events",
        [page([invoice_event("evt_3", "in_3", cursor + 30), invoice_event("evt_2", "in_2", cursor + 20), invoice_event("evt_1", "in_1", cursor + 10)])],
    )
    stripe.get(f"{API}/invoices/in_3/lines", json=slow)
    stripe.get(f"{API}/invoices/in_2/lines", [page([line("il_middle")])])
    stripe.get(f"{API}/invoices/in_1/lines", [page([line("il_oldest")])])
    output = read_incremental("invoice_line_items", cursor)
    assert [r["id"] for r in record_data(output)] == ["il_newest", "il_middle", "il_oldest"]


# --- a child stream that takes its parent in the query ---------------------------------------------------------


def test_payout_balance_transactions_of_a_changed_payout_are_listed_with_the_payout_in_the_query(stripe, manifest_streams):
    cursor = a_recent_cursor()
    payout_event = {
        "id": "evt_1",
        "type": "payout.paid",
        "created": cursor + 10,
        "data": {"object": {"id": "po_1", "object": "payout"}},
    }
    stripe.get(f"{API}/events", [page([payout_event])])
    stripe.get(f"{API}/balance_transactions", [page([{"id": "txn_1", "object": "balance_transaction"}])])
    output = read_incremental("payout_balance_transactions", cursor)
    assert not output.errors, error_messages(output)
    [events_request] = requests_to(stripe, "events")
    assert query(events_request)["types[]"] == event_types_of(manifest_streams, "payouts")
    [listing] = requests_to(stripe, "balance_transactions")
    assert query(listing) == {"payout": ["po_1"], "limit": ["100"]}
    assert record_data(output) == [
        {
            "id": "txn_1", "object": "balance_transaction", "payout": "po_1", "updated": cursor + 10,
            "is_deleted": False, "account_id": UNIT_PLATFORM,
        }
    ]


# --- children with events of their own ---------------------------------------------------------------------------


def payment_method_event(event_id, pm_id, created, type_, customer):
    return {
        "id": event_id,
        "type": type_,
        "created": created,
        "data": {"object": {"id": pm_id, "object": "payment_method", "type": "card", "customer": customer}},
    }


def test_payment_methods_with_state_read_their_own_events(stripe, manifest_streams):
    cursor = a_recent_cursor()
    stripe.get(f"{API}/events", [page([payment_method_event("evt_1", "pm_1", cursor + 10, "payment_method.attached", "cus_1")])])
    output = read_incremental("payment_methods", cursor)
    assert not output.errors, error_messages(output)
    # No customer is listed; `/v1/account` is the one ask for the platform's id (the records' `account_id`).
    assert [urlsplit(r.url).path for r in stripe.request_history if r.path != "/v1/account"] == ["/v1/events"]
    sent = query(requests_to(stripe, "events")[0])
    assert sent["types[]"] == event_types_of(manifest_streams, "payment_methods")
    assert sent["types[]"] and all(t.startswith("payment_method.") for t in sent["types[]"])
    assert int(sent["created[gte]"][0]) == cursor - DEFAULT_OVERLAP
    [record] = record_data(output)
    assert (record["id"], record["customer"], record["updated"], record["is_deleted"]) == ("pm_1", "cus_1", cursor + 10, False)


def test_a_detached_payment_method_comes_as_deleted(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [
            page(
                [
                    payment_method_event("evt_2", "pm_1", cursor + 20, "payment_method.detached", None),
                    payment_method_event("evt_1", "pm_1", cursor + 10, "payment_method.attached", "cus_1"),
                ]
            )
        ],
    )
    output = read_incremental("payment_methods", cursor)
    assert not output.errors, error_messages(output)
    [record] = record_data(output)
    assert (record["id"], record["updated"], record["is_deleted"]) == ("pm_1", cursor + 20, True)


def test_a_payment_method_event_without_customer_that_is_no_detachment_is_dropped(stripe):
    cursor = a_recent_cursor()
    stripe.get(
        f"{API}/events",
        [
            page(
                [
                    payment_method_event("evt_2", "pm_loose", cursor + 20, "payment_method.updated", None),
                    payment_method_event("evt_1", "pm_1", cursor + 10, "payment_method.updated", "cus_1"),
                ]
            )
        ],
    )
    output = read_incremental("payment_methods", cursor)
    assert not output.errors, error_messages(output)
    assert [r["id"] for r in record_data(output)] == ["pm_1"]


def test_a_customer_source_event_carrying_a_bank_account_is_no_card(stripe):
    cursor = a_recent_cursor()

    def source_event(event_id, source_id, kind, created):
        return {
            "id": event_id,
            "type": "customer.source.updated",
            "created": created,
            "data": {"object": {"id": source_id, "object": kind, "customer": "cus_1"}},
        }

    stripe.get(
        f"{API}/events",
        [page([source_event("evt_2", "ba_1", "bank_account", cursor + 20), source_event("evt_1", "card_1", "card", cursor + 10)])],
    )
    output = read_incremental("customer_cards", cursor)
    assert not output.errors, error_messages(output)
    assert [(r["id"], r["object"]) for r in record_data(output)] == [("card_1", "card")]
