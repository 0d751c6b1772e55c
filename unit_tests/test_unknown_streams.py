"""UnknownStreams: the streams a catalog names that the connector does not have."""

from __future__ import annotations

from helpers import make_catalog
from source_stripe.unknown_streams import UnknownStreams, connector_streams

KNOWN = {"charges", "customers", "invoices", "invoice_items"}


def test_only_the_names_the_connector_lacks_are_unknown_in_catalog_order():
    unknown = UnknownStreams.of(make_catalog("zzz", "charges", "chargez"), KNOWN)
    assert unknown.names == ["zzz", "chargez"]


def test_the_message_names_the_stream_and_the_closest_real_one():
    message = UnknownStreams.of(make_catalog("invoice_itemz"), KNOWN).message("invoice_itemz")
    assert "'invoice_itemz'" in message
    assert "Did you mean 'invoice_items'?" in message


def test_a_name_close_to_none_gets_no_suggestion():
    assert "Did you mean" not in UnknownStreams.of(make_catalog("xyzzy"), KNOWN).message("xyzzy")


def test_each_unknown_stream_is_one_config_error_trace_with_its_descriptor():
    errors = list(UnknownStreams.of(make_catalog("chargez", "customerz", "charges"), KNOWN).errors())
    assert [m.trace.error.stream_descriptor.name for m in errors] == ["chargez", "customerz"]
    assert {m.trace.error.failure_type.value for m in errors} == {"config_error"}


def test_without_keeps_the_known_streams_of_the_catalog():
    catalog = make_catalog("chargez", "charges", "customers")
    kept = UnknownStreams.of(catalog, KNOWN).without(catalog)
    assert [c.stream.name for c in kept.streams] == ["charges", "customers"]


def test_the_connector_streams_are_the_manifest_rows():
    names = connector_streams()
    assert len(names) == 108
    assert {"charges", "invoice_line_items", "events"} <= names
    assert "chargez" not in names
