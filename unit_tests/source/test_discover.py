"""Discover: child streams offer incremental on `updated`, but for those re-listed in full on every sync."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Dict, List

import pytest
import yaml
from airbyte_cdk.models import AirbyteStream, SyncMode

from helpers import make_config
from source_stripe.source import SourceStripe

# The children re-listed in full on every sync: the rows of kind `child_stream` (the others follow their parent or
# read their own events, incrementally).
ROWS = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yaml").read_text())["streams"]
FULL_REFRESH_ONLY_CHILDREN = {row["$parameters"]["name"] for row in ROWS if row["$ref"] == "#/definitions/child_stream"}
# The children read incrementally: those that follow their parent's events, and those with events of their own.
INCREMENTAL_CHILDREN = {
    row["$parameters"]["name"]
    for row in ROWS
    if row["$ref"] in ("#/definitions/following_child_stream", "#/definitions/own_evented_child_stream")
}


@pytest.fixture(scope="module")
def source() -> SourceStripe:
    return SourceStripe(config=make_config())


@pytest.fixture(scope="module")
def catalog(source) -> Dict[str, AirbyteStream]:
    config = make_config()
    return {stream.name: stream for stream in source.discover(logging.getLogger("airbyte"), config).streams}


@pytest.fixture(scope="module")
def child_streams(source) -> List[str]:
    """The manifest's streams that list the children of a parent (their rows name a `parent_field`)."""
    names = []
    for stream in source.resolved_manifest["streams"]:
        parameters = stream.get("$parameters") or {}
        if parameters.get("parent_field"):
            names.append(stream.get("name") or parameters["name"])
    return sorted(names)


def test_the_manifest_has_the_expected_child_streams(child_streams):
    assert set(child_streams) == FULL_REFRESH_ONLY_CHILDREN | INCREMENTAL_CHILDREN
    assert {"external_account_cards", "persons", "value_list_items", "usage_records"} <= FULL_REFRESH_ONLY_CHILDREN
    assert FULL_REFRESH_ONLY_CHILDREN <= set(child_streams)
    assert {"invoice_line_items", "payout_balance_transactions", "payment_methods", "customer_cards"} <= set(child_streams)


def test_every_child_stream_but_those_relisted_in_full_offers_incremental_on_updated(catalog, child_streams):
    incremental_children = [name for name in child_streams if name not in FULL_REFRESH_ONLY_CHILDREN]
    assert set(incremental_children) == INCREMENTAL_CHILDREN and len(INCREMENTAL_CHILDREN) >= 13
    for name in incremental_children:
        stream = catalog[name]
        assert stream.supported_sync_modes == [SyncMode.full_refresh, SyncMode.incremental], name
        assert stream.source_defined_cursor is True, name
        assert stream.default_cursor_field == ["updated"], name


@pytest.mark.parametrize("name", sorted(FULL_REFRESH_ONLY_CHILDREN))
def test_children_re_listed_in_full_offer_only_full_refresh(catalog, name):
    stream = catalog[name]
    assert stream.supported_sync_modes == [SyncMode.full_refresh]
    assert not stream.source_defined_cursor
    assert not stream.default_cursor_field


def test_the_parents_that_have_no_events_offer_only_full_refresh(catalog):
    for name in ("accounts", "value_lists"):
        assert catalog[name].supported_sync_modes == [SyncMode.full_refresh], name


def test_object_streams_keep_their_own_cursor(catalog):
    assert catalog["events"].default_cursor_field == ["created"]
    assert catalog["invoices"].default_cursor_field == ["updated"]
    assert SyncMode.incremental in catalog["invoices"].supported_sync_modes


def test_every_incremental_child_offers_updated_in_its_schema(catalog, child_streams):
    for name in child_streams:
        if name not in FULL_REFRESH_ONLY_CHILDREN:
            properties = catalog[name].json_schema.get("properties") or {}
            assert "updated" in properties and "is_deleted" in properties, name
