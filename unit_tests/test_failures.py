"""StreamFailures: the final error of a read in which streams failed is labelled by what failed them."""

from __future__ import annotations

from airbyte_cdk.models import FailureType, StreamDescriptor
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stripe.failures import CDK_FINAL_ERROR, StreamFailures


def _trace(stream, failure_type):
    error = AirbyteTracedException(message=f"{stream} failed", failure_type=failure_type)
    return error.as_airbyte_message(stream_descriptor=StreamDescriptor(name=stream))


def _watched(*traces, unknown=()):
    failures = StreamFailures(config_errors=unknown)
    assert list(failures.watch(traces)) == list(traces)  # messages pass unchanged
    return failures


def test_streams_that_failed_only_for_transient_reasons_end_in_a_transient_error():
    failures = _watched(_trace("charges", FailureType.transient_error), _trace("customers", FailureType.transient_error))
    final = failures.final_error()
    assert final.failure_type == FailureType.transient_error
    assert "charges (transient_error)" in final.message and "customers (transient_error)" in final.message


def test_one_config_error_makes_the_final_error_a_config_error():
    failures = _watched(_trace("charges", FailureType.transient_error), _trace("customers", FailureType.config_error))
    assert failures.final_error().failure_type == FailureType.config_error


def test_an_unknown_stream_is_a_config_error():
    assert _watched(_trace("charges", FailureType.transient_error), unknown=["chargez"]).failure_type == FailureType.config_error


def test_a_system_error_beside_transient_ones_stays_a_system_error():
    failures = _watched(_trace("charges", FailureType.transient_error), _trace("customers", FailureType.system_error))
    assert failures.failure_type == FailureType.system_error


def test_a_stream_keeps_its_most_actionable_failure():
    failures = _watched(_trace("charges", FailureType.config_error), _trace("charges", FailureType.transient_error))
    assert failures.by_stream == {"charges": FailureType.config_error}


def test_only_the_cdk_summary_of_failed_streams_is_replaced():
    failures = _watched(_trace("charges", FailureType.transient_error))
    summary = AirbyteTracedException(message=f"{CDK_FINAL_ERROR}: charges: …", failure_type=FailureType.config_error)
    assert failures.replaces(summary)
    assert not failures.replaces(AirbyteTracedException(message="something else", failure_type=FailureType.system_error))
    assert not StreamFailures().replaces(summary)
