"""source_stripe/manifest.py: the table's child rows linked to their parent rows, and the manifest a read gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

import pytest
import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from fake_stripe import FakeStripeList
from helpers import API, STREAM_COUNT, error_messages, make_catalog, make_config, run_read
from source_stripe.cdk_seams import validate_manifest_now
from source_stripe.manifest import ManifestError, for_read, link_parents, resolved_manifest, row_name
from source_stripe.source import SourceStripe


ROOT = Path(__file__).resolve().parents[1]
MANIFEST_TEXT = (ROOT / "manifest.yaml").read_text(encoding="utf-8")
DAY = 86400


def table(*rows: Dict[str, Any]) -> Dict[str, Any]:
    """A manifest with the real definitions and these rows."""
    manifest = yaml.safe_load(MANIFEST_TEXT)
    manifest["streams"] = [dict(row) for row in rows]
    return manifest


def resolved(manifest: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    streams = ManifestReferenceResolver().preprocess_manifest(link_parents(manifest))["streams"]
    return {row_name(stream): stream for stream in streams}


ACCOUNTS = {"$ref": "#/definitions/list_stream", "$parameters": {"name": "accounts", "path": "accounts"}}
SUBSCRIPTIONS = {
    "$ref": "#/definitions/evented_stream",
    "$parameters": {"name": "subscriptions", "path": "subscriptions", "query": {"status": "all"}, "event_types": ["a.b"]},
}
PERSONS = {
    "$ref": "#/definitions/child_stream",
    "$parameters": {"name": "persons", "parent": "accounts", "path": "accounts/{{ stream_partition.parent_id }}/persons",
                    "parent_field": "account", "query": {"object": "person"}},
}
ITEMS = {
    "$ref": "#/definitions/following_child_stream",
    "$parameters": {"name": "subscription_items", "parent": "subscriptions", "path": "subscription_items",
                    "parent_field": "subscription", "parent_query": "subscription"},
}
USAGE = {
    "$ref": "#/definitions/child_stream",
    "$parameters": {"name": "usage_records", "parent": "subscription_items", "parent_field": "subscription_item",
                    "path": "subscription_items/{{ stream_partition.parent_id }}/usage_record_summaries"},
}


def parent_config(stream: Dict[str, Any]) -> Dict[str, Any]:
    [config] = stream["retriever"]["partition_router"]["parent_stream_configs"]
    return config


# --- linking children to their parents -------------------------------------------------------------------------


def test_a_re_listed_child_lists_its_parent_rows_path_and_query_and_nothing_of_its_own():
    streams = resolved(table(ACCOUNTS, PERSONS))
    config = parent_config(streams["persons"])
    assert config["parent_key"] == "id" and config["partition_field"] == "parent_id"
    parent = config["stream"]
    assert parent["$parameters"]["name"] == "accounts" and parent["$parameters"]["path"] == "accounts"
    # The child's own query and parent field must not reach its parent's requests.
    assert parent["$parameters"]["query"] is None and parent["$parameters"]["parent_field"] is None
    assert "request_option" not in config  # the parent id goes into the child's path


def test_a_child_that_follows_its_parent_gets_the_parent_rows_path_query_and_event_types():
    parameters = resolved(table(SUBSCRIPTIONS, ITEMS))["subscription_items"]["$parameters"]
    assert parameters["parent_path"] == "subscriptions"
    assert parameters["parent_list_query"] == {"status": "all"}
    assert parameters["parent_event_types"] == ["a.b"]


def test_a_child_of_a_child_lists_its_parent_under_every_grandparent_with_the_parent_id_in_the_query():
    parent = parent_config(resolved(table(SUBSCRIPTIONS, ITEMS, USAGE))["usage_records"])["stream"]
    assert parent["$parameters"]["name"] == "subscription_items" and parent["$parameters"]["path"] == "subscription_items"
    grandparent_config = parent_config(parent)
    assert grandparent_config["request_option"]["field_name"] == "subscription"
    assert grandparent_config["stream"]["$parameters"]["query"] == {"status": "all"}


def test_a_child_with_events_of_its_own_lists_its_parent_on_its_first_read_only():
    cards = {
        "$ref": "#/definitions/own_evented_child_stream",
        "$parameters": {"name": "cards", "parent": "accounts", "path": "x", "parent_field": "account",
                        "event_object": "card", "event_types": ["customer.source.created"]},
    }
    stream = resolved(table(ACCOUNTS, cards))["cards"]
    assert parent_config(stream["full_refresh_stream"])["stream"]["$parameters"]["path"] == "accounts"
    assert "partition_router" not in stream["incremental_stream"]["retriever"]


def test_a_parent_whose_list_takes_no_created_filter_is_listed_whole_for_its_children():
    quotes = {"$ref": "#/definitions/evented_client_filtered_stream",
              "$parameters": {"name": "quotes", "path": "quotes", "event_types": ["quote.created"]}}
    items = {"$ref": "#/definitions/child_stream",
             "$parameters": {"name": "quote_line_items", "parent": "quotes", "parent_field": "quote",
                             "path": "quotes/{{ stream_partition.parent_id }}/line_items"}}
    parent = parent_config(resolved(table(quotes, items))["quote_line_items"])["stream"]
    requester = parent["retriever"]["requester"]
    assert "created[gte]" not in str(requester.get("request_parameters"))  # Stripe would answer 400
    assert "start_date" in parent["retriever"]["record_selector"]["record_filter"]["condition"]


def test_a_parent_that_is_no_row_is_an_error_naming_both():
    with pytest.raises(ManifestError, match="'persons'.*'accounts'"):
        link_parents(table(PERSONS))


def test_a_parent_on_a_kind_that_lists_no_children_is_an_error():
    wrong = {"$ref": "#/definitions/list_stream", "$parameters": {"name": "x", "path": "x", "parent": "accounts"}}
    with pytest.raises(ManifestError, match="'x'"):
        link_parents(table(ACCOUNTS, wrong))


# --- the manifest a read gets ----------------------------------------------------------------------------------


def test_a_read_gets_only_its_selected_streams():
    manifest = for_read(resolved_manifest(), {"charges", "persons"})
    assert sorted(row_name(stream) for stream in manifest["streams"]) == ["charges", "persons"]
    assert manifest["definitions"] == resolved_manifest()["definitions"]


def test_no_selection_is_every_stream():
    assert len(for_read(resolved_manifest(), None)["streams"]) == STREAM_COUNT


def test_a_stream_reading_its_events_is_built_as_its_events_path_only():
    [charges, invoice_lines] = for_read(
        resolved_manifest(), {"charges", "invoice_line_items"}, event_paths={"charges", "invoice_line_items"}
    )["streams"]
    assert charges["type"] == invoice_lines["type"] == "DeclarativeStream"
    assert charges["retriever"]["requester"]["path"] == "events"
    assert charges["$parameters"]["event_types"] and charges["$parameters"]["name"] == "charges"
    assert invoice_lines["$parameters"]["parent_event_types"]


def test_a_resumed_backfill_reads_its_list_path_with_the_rows_parameters():
    [charges] = for_read(resolved_manifest(), {"charges"}, list_paths={"charges"})["streams"]
    assert charges["type"] == "DeclarativeStream"
    assert charges["$parameters"]["name"] == "charges" and charges["$parameters"]["path"] == "charges"
    assert charges["incremental_sync"]["cursor_field"] == "updated"


def test_each_caller_gets_its_own_copy():
    first = resolved_manifest()
    first["streams"].clear()
    assert len(resolved_manifest()["streams"]) == STREAM_COUNT


# --- the manifest the CDK builds (validated here: the source skips the CDK's check at start-up) ------------------


def test_the_bundled_manifest_is_valid_against_the_cdks_declarative_schema():
    source = SourceStripe(config=make_config())
    validate_manifest_now(source)  # raises ValidationError when it is not


def test_a_source_made_for_a_read_builds_only_the_selected_streams():
    source = SourceStripe(config=make_config(), catalog=make_catalog("charges", "bank_accounts"))
    assert sorted(stream.name for stream in source.streams(make_config())) == ["bank_accounts", "charges"]


def test_a_source_made_without_a_catalog_builds_every_stream():
    assert len(SourceStripe(config=make_config()).streams(make_config())) == STREAM_COUNT


# --- the table itself -------------------------------------------------------------------------------------------


def test_no_line_of_the_manifest_is_over_160_characters():
    long = [number for number, line in enumerate(MANIFEST_TEXT.splitlines(), 1) if len(line) > 160]
    assert not long, f"manifest.yaml lines over 160 characters: {long}"


def test_rows_are_unique_and_sorted_by_name_within_each_kind_group():
    rows = yaml.safe_load(MANIFEST_TEXT)["streams"]
    names = [row["$parameters"]["name"] for row in rows]
    assert len(names) == len(set(names)) == STREAM_COUNT
    # Groups follow one another; objects (evented or not) form one group.
    objects = {"list_stream", "client_filtered_list_stream", "unfiltered_list_stream", "evented_stream",
               "evented_client_filtered_stream", "evented_unfiltered_stream", "evented_also_query_stream",
               "evented_embedded_stream"}
    appended = {"events_stream": "created_stream"}  # Stripe's events are append-only objects too
    kind_of = lambda row: appended.get(row["$ref"].rsplit("/", 1)[-1], row["$ref"].rsplit("/", 1)[-1])  # noqa: E731
    group_of = lambda row: "objects" if kind_of(row) in objects else kind_of(row)  # noqa: E731
    groups: Dict[str, list] = {}
    order = []
    for row in rows:
        group = group_of(row)
        if group not in groups:
            order.append(group)
            groups[group] = []
        assert order[-1] == group, f"row {row['$parameters']['name']} is out of its group {group}"
        groups[group].append(row["$parameters"]["name"])
    assert order == ["created_stream", "objects", "following_child_stream", "own_evented_child_stream", "child_stream"]
    for group, members in groups.items():
        assert members == sorted(members), group


def test_every_parent_is_declared_once_by_its_own_row():
    manifest = yaml.safe_load(MANIFEST_TEXT)
    assert "parents" not in manifest["definitions"]
    names = {row["$parameters"]["name"] for row in manifest["streams"]}
    parents = {row["$parameters"]["parent"] for row in manifest["streams"] if "parent" in row["$parameters"]}
    assert parents <= names
    assert {"accounts", "application_fees", "checkout_sessions", "credit_notes", "customers", "invoices", "payouts",
            "setup_intents", "subscription_items", "subscriptions", "transfers", "value_lists"} <= parents


def test_no_cursor_writes_a_slice_range_default_of_its_own():
    cursors = yaml.safe_load(MANIFEST_TEXT)["definitions"]
    for name in ("windows", "created_cursor", "updated_list_cursor", "events_cursor", "child_windows"):
        step = cursors[name].get("step", "#/definitions/window_step")
        assert step == "#/definitions/window_step", name
    assert cursors["window_step"] == "P{{ config['slice_range'] }}D"
    spec = yaml.safe_load(MANIFEST_TEXT)["spec"]["connection_specification"]["properties"]
    assert spec["slice_range"]["default"] == 365


def test_without_slice_range_a_history_is_read_in_windows_of_at_most_the_specs_365_days(stripe):
    start = 1735689600  # make_config's start_date, 2025-01-01
    charges = FakeStripeList([start + day * DAY for day in range(0, 600, 20)], prefix="ch")
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["charges"], make_config())
    assert not output.errors, error_messages(output)
    assert sorted(m.record.data["id"] for m in output.records) == sorted(o["id"] for o in charges.objects)
    assert charges.windows and all(high - low < 365 * DAY for low, high in charges.windows), charges.windows
