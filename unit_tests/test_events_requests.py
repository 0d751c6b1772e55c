"""The events path's requests, through the CDK with requests-mock: types[], created[gte] = cursor − overlap."""

import time
from urllib.parse import parse_qs, urlparse

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder

from source_stripe.source import SourceStripe

CONFIG = {"credentials": {"access_token": "sk_test_x"}, "start_date": "2025-01-01T00:00:00Z"}
EVENTS = "https://api.stripe.com/v1/events"


def _read(requests_mock, overlap=None):
    cursor = int(time.time()) - 3600
    config = dict(CONFIG, **({"events_overlap_seconds": overlap} if overlap is not None else {}))
    page = {"object": "list", "has_more": False, "data": [
        {"id": "evt_2", "type": "customer.updated", "created": cursor + 20, "data": {"object": {"id": "cus_1", "email": "new"}}},
        {"id": "evt_1", "type": "customer.updated", "created": cursor + 10, "data": {"object": {"id": "cus_1", "email": "old"}}},
    ]}
    requests_mock.get(EVENTS, json=page)
    catalog = CatalogBuilder().with_stream("customers", SyncMode.incremental).build()
    state = StateBuilder().with_stream_state("customers", {"updated": str(cursor)}).build()
    output = read(SourceStripe(catalog=catalog, config=config, state=state), config, catalog, state)
    query = parse_qs(urlparse(requests_mock.request_history[0].url).query)
    return cursor, output, query


def test_events_are_requested_by_type_from_the_cursor_minus_the_default_overlap(requests_mock):
    cursor, output, query = _read(requests_mock)
    assert query["types[]"] == ["customer.created", "customer.deleted", "customer.updated"]
    assert int(query["created[gte]"][0]) == cursor - 60
    assert [r.record.data["email"] for r in output.records] == ["new"]
    assert output.records[0].record.data["updated"] == cursor + 20


def test_the_overlap_is_configurable(requests_mock):
    cursor, _output, query = _read(requests_mock, overlap=0)
    assert int(query["created[gte]"][0]) == cursor


def test_the_final_state_is_the_time_the_read_started(requests_mock):
    before = int(time.time())
    cursor, output, _query = _read(requests_mock)
    final = output.state_messages[-1].state.stream
    assert final.stream_descriptor.name == "customers"
    assert before - 1 <= int(final.stream_state.updated) <= int(time.time())
