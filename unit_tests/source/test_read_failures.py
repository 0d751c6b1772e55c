"""How a read that cannot read everything ends (requests-mock): streams the connector does not have, and failures
labelled by their cause, so that an outage never tells users to fix their config."""

from __future__ import annotations

from airbyte_cdk.models import ConfiguredAirbyteCatalog

from helpers import API, make_catalog, make_config, one_window_config, page, read, record_data, stripe_error
from source_stripe.source import SourceStripe


def _read(streams, config):
    catalog: ConfiguredAirbyteCatalog = make_catalog(*streams)
    return read(SourceStripe(catalog=catalog, config=config), config, catalog, expecting_exception=True)


def _errors(output):
    return [(m.trace.error.stream_descriptor.name if m.trace.error.stream_descriptor else None,
             m.trace.error.failure_type.value, m.trace.error.message) for m in output.errors]


def test_an_unknown_stream_is_a_config_error_naming_the_closest_stream(stripe):
    stripe.get(f"{API}/customers", [page([{"id": "cus_1"}, {"id": "cus_2"}])])
    output = _read(["chargez", "customers"], one_window_config())
    assert [r["id"] for r in record_data(output, "customers")] == ["cus_1", "cus_2"]
    named = [e for e in _errors(output) if e[0] == "chargez"]
    assert len(named) == 1, _errors(output)
    assert named[0][1] == "config_error"
    assert "'chargez'" in named[0][2] and "Did you mean 'charges'?" in named[0][2]
    final = [e for e in _errors(output) if e[0] is None]
    assert final and final[-1][1] == "config_error", _errors(output)  # the read fails: a non-zero exit
    assert not any("/charges" in r.url for r in stripe.request_history)


def test_a_catalog_of_unknown_streams_only_reads_nothing_and_fails(stripe):
    output = _read(["no_such_thing"], make_config())
    assert record_data(output) == []
    assert stripe.request_history == []
    assert [e[:2] for e in _errors(output)][0] == ("no_such_thing", "config_error")
    assert _errors(output)[-1][:2] == (None, "config_error")


def test_streams_failing_on_stripe_5xx_end_the_read_with_a_transient_error_not_a_config_error(stripe, backoff_sleeps):
    failing = stripe_error(500, "An unknown error occurred", headers={"Stripe-Should-Retry": "false"})
    stripe.get(f"{API}/charges", [failing])
    stripe.get(f"{API}/customers", [failing])
    output = _read(["charges", "customers"], one_window_config())
    errors = _errors(output)
    per_stream = {e[0]: e[1] for e in errors if e[0]}
    assert per_stream == {"charges": "transient_error", "customers": "transient_error"}, errors
    assert errors[-1][:2] == (None, "transient_error"), errors
    assert "config_error" not in {e[1] for e in errors}


def test_a_401_beside_an_outage_keeps_the_final_error_a_config_error(stripe, backoff_sleeps):
    stripe.get(f"{API}/charges", [stripe_error(500, "An unknown error occurred", headers={"Stripe-Should-Retry": "false"})])
    stripe.get(f"{API}/customers", [stripe_error(401, "Invalid API Key provided: sk_test_****E123")])
    output = _read(["charges", "customers"], one_window_config())
    errors = _errors(output)
    assert {e[0]: e[1] for e in errors if e[0]} == {"charges": "transient_error", "customers": "config_error"}, errors
    assert errors[-1][:2] == (None, "config_error"), errors
